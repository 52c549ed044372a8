package dev.capacity.internal;

import dev.capacity.StrategyOptions;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The retry budget of one call: exponential backoff with full jitter, bounded by an attempt count
 * and a total time (see {@link StrategyOptions}). Not API.
 *
 * <p>Not threadsafe: one instance per call, used by the calling thread.
 */
public final class RetryBudget {

    /** {@link #nextBackoffNanos()} when no retry is left. */
    public static final long SPENT = -1;

    private final int maxAttempts;
    private final long maxRetryNanos;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;
    private final long startNanos;
    private int attempts;

    private RetryBudget(StrategyOptions options, long startNanos) {
        this.maxAttempts = options.maxAttempts();
        this.maxRetryNanos = options.maxRetryTime().toNanos();
        this.initialBackoffNanos = options.initialBackoff().toNanos();
        this.maxBackoffNanos = options.maxBackoff().toNanos();
        this.startNanos = startNanos;
    }

    public static RetryBudget start(StrategyOptions options) {
        return new RetryBudget(options, System.nanoTime());
    }

    /** Counts the attempt about to be made and returns its number, from 1. */
    public int beginAttempt() {
        return ++attempts;
    }

    /** The attempts made so far. */
    public int attempts() {
        return attempts;
    }

    /**
     * The backoff before the next attempt, or {@link #SPENT} if the attempts are used up or the
     * backoff would end after the time budget.
     */
    public long nextBackoffNanos() {
        if (attempts >= maxAttempts) {
            return SPENT;
        }
        long ceiling = initialBackoffNanos << Math.min(attempts - 1, 30);
        if (ceiling <= 0 || ceiling > maxBackoffNanos) {
            ceiling = maxBackoffNanos;
        }
        long backoff = ThreadLocalRandom.current().nextLong(ceiling + 1);
        if (System.nanoTime() - startNanos + backoff > maxRetryNanos) {
            return SPENT;
        }
        return backoff;
    }

    /**
     * Sleeps for {@code nanos}. Returns {@code false}, with the interrupt flag set again, if the
     * thread was interrupted: the caller then stops retrying.
     */
    public static boolean sleep(long nanos) {
        if (nanos <= 0) {
            return !Thread.currentThread().isInterrupted();
        }
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
