package dev.capacity.stress.faults;

import dev.capacity.HoldStatus;
import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.testing.FaultyDataSource;
import dev.capacity.jdbc.testing.ForwardingStrategy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A strategy that counts the COMMITs its confirms lost: it marks the thread while a confirm
 * runs, and {@link FaultyDataSource#onFailedCommit} counts the failures on marked threads. So the
 * fault suite can say how many confirms went through the lookup after an unknown COMMIT. Every
 * call goes to the strategy it wraps. Threadsafe if that strategy is.
 */
final class ConfirmWatch extends ForwardingStrategy {

    private final ThreadLocal<Boolean> confirming = ThreadLocal.withInitial(() -> false);
    private final AtomicLong lostCommits = new AtomicLong();

    ConfirmWatch(ReservationStrategy inner, FaultyDataSource faults) {
        super(inner);
        faults.onFailedCommit(() -> {
            if (confirming.get()) {
                lostCommits.incrementAndGet();
            }
        });
    }

    /** COMMITs of confirms that failed so far. */
    long lostCommits() {
        return lostCommits.get();
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        confirming.set(true);
        try {
            return super.confirm(reservationId);
        } finally {
            confirming.set(false);
        }
    }
}
