package dev.capacity.stress.faults;

import dev.capacity.stress.internal.History;
import dev.capacity.stress.internal.Op;

import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The operator of the restart: once the race is under way, stops the server; once every thread
 * has seen it gone, starts it again; once calls succeed again, ends the race. Each step waits for
 * what the racing threads record, never for a fixed time.
 *
 * <p>This class is threadsafe.
 */
final class ServerRestarter {
    private final FaultTarget server;
    private final Jdbi ownPool;
    private final int threads;
    private final History history;
    private final AtomicBoolean done = new AtomicBoolean();
    private final Thread thread = new Thread(this::run, "operator");
    private volatile long stoppedAt = Long.MAX_VALUE;
    private volatile long startedAt = Long.MAX_VALUE;
    private volatile Exception failure;

    /**
     * Restarts {@code server} while {@code threads} threads race and record into {@code history};
     * {@code ownPool} is the suite's own, which must reach the new server before the race ends.
     */
    ServerRestarter(FaultTarget server, Jdbi ownPool, int threads, History history) {
        this.server = server;
        this.ownPool = ownPool;
        this.threads = threads;
        this.history = history;
    }

    ServerRestarter start() {
        thread.start();
        return this;
    }

    /** Whether the restart is over (or failed): the race may end. */
    boolean done() {
        return done.get();
    }

    /** Waits for the operator to finish; throws if the restart did not go as planned. */
    void awaitEnd() {
        FaultSuite.join(thread);
        if (failure != null) {
            throw new IllegalStateException("the restart did not go as planned: " + failure, failure);
        }
    }

    /** When the server was stopped, in wall-clock microseconds as the history records them. */
    long stoppedAt() {
        return stoppedAt;
    }

    /** When the server was started again, in wall-clock microseconds. */
    long startedAt() {
        return startedAt;
    }

    private void run() {
        try {
            await("the race to get going", () -> history.count(ServerRestarter::isAnswer) >= 200);
            stoppedAt = now();
            server.stop();
            await("calls to fail while the server is down", () -> history.count(o -> o.invokedMicros() >= stoppedAt
                    && "StoreUnavailableException".equals(o.result())) >= 4L * threads);
            server.start();
            startedAt = now();
            // the suite's own pool still holds connections to the old server; a recently used
            // one is lent out unchecked and fails once, which takes it out of the pool
            await("the suite's own pool to reach the new server", () -> {
                try {
                    return ownPool.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1;
                } catch (RuntimeException e) {
                    return false;
                }
            });
            await("calls to succeed after the restart", () -> history.count(o -> o.invokedMicros() >= startedAt
                    && isAnswer(o)) >= 200);
        } catch (Exception e) {
            failure = e;
        } finally {
            done.set(true);
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("waited 60 s for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    private static boolean isAnswer(Op o) {
        return switch (o.result()) {
            case "RESERVED", "REPLAYED", "INSUFFICIENT_CAPACITY", "true", "false" -> true;
            default -> false;
        };
    }

    private static long now() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
