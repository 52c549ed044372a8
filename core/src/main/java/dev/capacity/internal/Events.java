package dev.capacity.internal;

import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.ReservationListener;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

/**
 * Delivers events to a {@link ReservationListener}, so that a failing listener is logged and never
 * changes an outcome. Not API.
 */
public final class Events {

    private static final Logger LOG = LoggerFactory.getLogger(Events.class);

    private Events() {}

    /** Reports the outcome of a reserve call that took {@code took}: as reserved or rejected, then timed. */
    public static void reserved(ReservationListener listener, String strategy, ReservationRequest request,
                                ReservationResult result, Duration took) {
        outcome(listener, strategy, request, result);
        try {
            listener.onReserveTimed(strategy, request, result, took);
        } catch (RuntimeException e) {
            LOG.warn("listener {} failed on the time of {}", listener, request, e);
        }
    }

    /** Reports an outcome as reserved or rejected. */
    public static void outcome(ReservationListener listener, String strategy, ReservationRequest request,
                               ReservationResult result) {
        try {
            if (result.isReserved()) {
                listener.onReserved(strategy, request, result);
            } else {
                listener.onRejected(strategy, request, result);
            }
        } catch (RuntimeException e) {
            LOG.warn("listener {} failed on the outcome {} of {}", listener, result.status(), request, e);
        }
    }

    /**
     * Reports each line of an order as reserved or rejected: its reservation when the order was
     * granted, the order's refusal otherwise.
     */
    public static void order(ReservationListener listener, String strategy, List<ReservationRequest> lines,
                             OrderResult order) {
        for (int i = 0; i < lines.size(); i++) {
            outcome(listener, strategy, lines.get(i), order.isReserved()
                    ? new ReservationResult(order.status(), order.reservations().get(i), ReservationResult.UNKNOWN_AVAILABLE, 1)
                    : new ReservationResult(order.status(), null, ReservationResult.UNKNOWN_AVAILABLE, 1));
        }
    }

    public static void retried(ReservationListener listener, String strategy, ReservationRequest request,
                               int attempt, long backoffNanos, String reason) {
        LOG.debug("{}: attempt {} of {} lost a race ({}), retrying in {} us",
                strategy, attempt, request, reason, backoffNanos / 1000);
        try {
            listener.onRetried(strategy, request, attempt, Duration.ofNanos(backoffNanos), reason);
        } catch (RuntimeException e) {
            LOG.warn("listener {} failed on a retry of {}", listener, request, e);
        }
    }

    public static void holdEnded(ReservationListener listener, String strategy, long reservationId, HoldStatus how) {
        try {
            listener.onHoldEnded(strategy, reservationId, how);
        } catch (RuntimeException e) {
            LOG.warn("listener {} failed on hold {} ending {}", listener, reservationId, how, e);
        }
    }

    public static void batch(ReservationListener listener, String strategy, int size, int waiting) {
        try {
            listener.onBatch(strategy, size, waiting);
        } catch (RuntimeException e) {
            LOG.warn("listener {} failed on a batch of {}", listener, size, e);
        }
    }

    /** Tells a resource's move across zero available units, if {@code before} and {@code after} make one. */
    public static void stock(ReservationListener listener, String strategy, String resourceId, long before, long after) {
        try {
            if (before > 0 && after <= 0) {
                listener.onSoldOut(strategy, resourceId);
            } else if (before <= 0 && after > 0) {
                listener.onBackInStock(strategy, resourceId);
            }
        } catch (RuntimeException e) {
            LOG.warn("listener {} failed on a stock event of {}", listener, resourceId, e);
        }
    }

    public static void released(ReservationListener listener, String strategy, long reservationId) {
        try {
            listener.onReleased(strategy, reservationId);
        } catch (RuntimeException e) {
            LOG.warn("listener {} failed on the release of reservation {}", listener, reservationId, e);
        }
    }
}
