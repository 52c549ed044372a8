package dev.capacity.stress.jcstress;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The H2 database of the JDBC jcstress tests: opened once per JVM (jcstress forks one per test
 * configuration), with the tables installed; each jcstress state defines a fresh resource in it.
 */
final class H2Once {

    private static final CapacityPool POOL = CapacityPool.open("jdbc:h2:mem:jcstress;DB_CLOSE_DELAY=-1", "sa", "", 8);
    private static final Map<StrategyKind, ReservationStrategy> STRATEGIES = new EnumMap<>(StrategyKind.class);
    private static final AtomicLong IDS = new AtomicLong();

    static {
        CapacitySchema.install(POOL.jdbi());
        for (StrategyKind kind : StrategyKind.values()) {
            if (kind != StrategyKind.IN_MEMORY) {
                STRATEGIES.put(kind, JdbiStrategies.of(kind, POOL.jdbi()));
            }
        }
    }

    private H2Once() {}

    static ReservationStrategy strategy(StrategyKind kind) {
        return STRATEGIES.get(kind);
    }

    /** A resource no other state of this JVM uses. */
    static String newResource(ReservationStrategy strategy, long capacity) {
        String id = "run-" + IDS.incrementAndGet();
        strategy.define(id, capacity);
        return id;
    }

    static String newKey() {
        return "key-" + IDS.incrementAndGet();
    }

    static org.jdbi.v3.core.Jdbi jdbi() {
        return POOL.jdbi();
    }
}
