package dev.capacity.jdbc.testing;

import static dev.capacity.ReservationResult.Status.CONTENDED;
import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;

import dev.capacity.Availability;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A NEGATIVE CONTROL for invariant 2 (never undersell), in test sources only: a strategy that can
 * never sell the last unit. Its guard is {@code reserved < capacity - q} where
 * {@code reserved <= capacity - q} is right; otherwise it is the strategy it wraps, which does the
 * work (and keeps the ledger). One lock makes the guard and the reserve behind it one step, so
 * the last unit is never sold, on every run.
 *
 * <p>When only the broken guard stands in the way, it answers as a strategy with that bug would:
 * {@link Answer#CONTENDED} like a strategy whose check says the request fits and whose guarded
 * write then fails, so that it takes the failure for a lost race, retries for its retry time and
 * gives up; or {@link Answer#INSUFFICIENT_CAPACITY}.
 *
 * <p>This class is threadsafe.
 */
public final class NeverSellsLastUnitStrategy extends ForwardingStrategy {

    /** What the strategy answers when the broken guard refuses a request that fits. */
    public enum Answer { CONTENDED, INSUFFICIENT_CAPACITY }

    private final ReservationStrategy honest;
    private final Answer answer;
    private final long retryNanos;
    private final Object lock = new Object();

    /** Retries for the default {@link StrategyOptions#maxRetryTime()}, as the real strategies do. */
    public NeverSellsLastUnitStrategy(ReservationStrategy honest, Answer answer) {
        this(honest, answer, StrategyOptions.defaults().maxRetryTime());
    }

    public NeverSellsLastUnitStrategy(ReservationStrategy honest, Answer answer, Duration retryTime) {
        super(honest);
        this.honest = honest;
        this.answer = answer;
        this.retryNanos = retryTime.toNanos();
    }

    @Override
    public String name() {
        return "never-sells-last-unit";
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        long deadline = System.nanoTime() + retryNanos;
        synchronized (lock) {
            for (int attempt = 1; ; attempt++) {
                Optional<Availability> now = honest.availability(request.resourceId());
                if (now.isEmpty() || now.get().reserved() < now.get().capacity() - request.quantity()) {
                    return honest.reserve(request);
                }
                long available = now.get().available();
                if (answer == Answer.INSUFFICIENT_CAPACITY || available < request.quantity()) {
                    return new ReservationResult(INSUFFICIENT_CAPACITY, null, available, attempt);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return new ReservationResult(CONTENDED, null, ReservationResult.UNKNOWN_AVAILABLE, attempt);
                }
                // "a lost race": try again when something changes or the retry time is up
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new ReservationResult(CONTENDED, null, ReservationResult.UNKNOWN_AVAILABLE, attempt);
                }
            }
        }
    }

    @Override
    public boolean release(long reservationId) {
        synchronized (lock) {
            lock.notifyAll();
            return honest.release(reservationId);
        }
    }

    @Override
    public void resize(String resourceId, long newCapacity) {
        synchronized (lock) {
            lock.notifyAll();
            honest.resize(resourceId, newCapacity);
        }
    }

    @Override
    public long adjust(String resourceId, long delta) {
        synchronized (lock) {
            lock.notifyAll();
            return honest.adjust(resourceId, delta);
        }
    }

    @Override
    public String toString() {
        return name() + " over " + honest.name() + ", answering " + answer;
    }
}
