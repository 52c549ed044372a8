package dev.capacity.stress.faults;

import dev.capacity.jdbc.CapacityPool;

import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Another part of the application that takes every connection of the pool for a while
 * (400 ms, longer than the race's connection timeout), gives them back, and does it again.
 *
 * <p>This class is threadsafe.
 */
final class PoolExhauster implements AutoCloseable {
    private final CapacityPool pool;
    private final int size;
    private final AtomicInteger timesExhausted = new AtomicInteger();
    private final Thread thread = new Thread(this::run, "pool-exhauster");
    private volatile boolean running = true;

    private final BooleanSupplier active;

    /** Takes the {@code size} connections of {@code pool} while {@code active} says so, until closed. */
    PoolExhauster(CapacityPool pool, int size, BooleanSupplier active) {
        this.pool = pool;
        this.size = size;
        this.active = active;
    }

    PoolExhauster start() {
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** How many times it held every connection for the full 400 ms. */
    int timesExhausted() {
        return timesExhausted.get();
    }

    private void run() {
        while (running) {
            if (!active.getAsBoolean()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                continue;
            }
            List<Handle> held = new ArrayList<>();
            try {
                for (int i = 0; i < size && running; i++) {
                    held.add(pool.jdbi().open());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(400));
                timesExhausted.incrementAndGet();
            } catch (RuntimeException e) {
                // a connection was not to be had in time: try again
            } finally {
                held.forEach(Handle::close);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    /** Stops taking connections; waits up to {@link FaultSuite#MAX_RACE_NANOS} for the last round to end. */
    @Override
    public void close() {
        running = false;
        FaultSuite.join(thread);
    }
}
