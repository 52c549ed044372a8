package dev.capacity.jdbc.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting for another thread without sleeping, and failing instead of hanging: 30 s at most. */
public final class Waits {

    private static final long LIMIT_SECONDS = 30;

    private Waits() {}

    /** Spins until another thread has brought about {@code condition}. */
    public static void until(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the condition did not come about in " + LIMIT_SECONDS + " s");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Waits until {@code latch} is released. */
    public static void until(CountDownLatch latch) {
        try {
            if (!latch.await(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("the latch was not released in " + LIMIT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
