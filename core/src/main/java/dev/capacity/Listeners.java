package dev.capacity;

import dev.capacity.internal.Arguments;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@link ReservationListener#all}: every event to each listener, in order, each one's failure
 * logged and kept from the others.
 *
 * <p>This class is immutable and threadsafe (as its listeners must be).
 */
final class Listeners implements ReservationListener {

    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    private final List<ReservationListener> listeners;

    private Listeners(List<ReservationListener> listeners) {
        this.listeners = listeners;
    }

    static ReservationListener all(ReservationListener... listeners) {
        Arguments.requireNonNull(listeners, "listeners");
        for (ReservationListener listener : listeners) {
            Arguments.requireNonNull(listener, "listeners");
        }
        return new Listeners(List.of(listeners));
    }

    private void tell(Consumer<ReservationListener> event) {
        for (ReservationListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                LOG.warn("listener {} failed; the others are told all the same", listener, e);
            }
        }
    }

    @Override
    public void onReserved(String strategy, ReservationRequest request, ReservationResult result) {
        tell(l -> l.onReserved(strategy, request, result));
    }

    @Override
    public void onRejected(String strategy, ReservationRequest request, ReservationResult result) {
        tell(l -> l.onRejected(strategy, request, result));
    }

    @Override
    public void onRetried(String strategy, ReservationRequest request, int attempt, Duration backoff, String reason) {
        tell(l -> l.onRetried(strategy, request, attempt, backoff, reason));
    }

    @Override
    public void onReleased(String strategy, long reservationId) {
        tell(l -> l.onReleased(strategy, reservationId));
    }

    @Override
    public void onReserveTimed(String strategy, ReservationRequest request, ReservationResult result, Duration took) {
        tell(l -> l.onReserveTimed(strategy, request, result, took));
    }

    @Override
    public void onHoldEnded(String strategy, long reservationId, HoldStatus how) {
        tell(l -> l.onHoldEnded(strategy, reservationId, how));
    }

    @Override
    public void onBatch(String strategy, int size, int waiting) {
        tell(l -> l.onBatch(strategy, size, waiting));
    }

    @Override
    public void onSoldOut(String strategy, String resourceId) {
        tell(l -> l.onSoldOut(strategy, resourceId));
    }

    @Override
    public void onBackInStock(String strategy, String resourceId) {
        tell(l -> l.onBackInStock(strategy, resourceId));
    }

    @Override
    public String toString() {
        return "ReservationListener.all" + listeners;
    }
}
