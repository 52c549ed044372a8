package dev.capacity.stress.internal;

import dev.capacity.StrategyKind;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.jdbc.testing.ForwardingStrategy;

import org.jdbi.v3.core.Jdbi;

import java.util.concurrent.CountDownLatch;

/**
 * A strategy whose construction never ends, as a child process's would that waits for a server or
 * a lock that never comes: the multi-process race must fail in seconds, not wait for it. Built by
 * {@link RaceWorker} from {@code class:} and its name; test sources only.
 */
public final class HangsBeforeReadyStrategy extends ForwardingStrategy {

    public HangsBeforeReadyStrategy(Jdbi jdbi, int threads) throws InterruptedException {
        super(JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi));
        new CountDownLatch(1).await();
    }

    @Override
    public String name() {
        return "hangs-before-ready";
    }
}
