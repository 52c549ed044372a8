package dev.capacity.stress.jcstress;

import dev.capacity.Availability;
import dev.capacity.OrderResult;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import java.time.Duration;
import java.util.List;

/**
 * Turns what a strategy did into the short words the jcstress outcomes are written in. An
 * exception becomes {@code ERROR}, which every test lists as forbidden, so no outcome is left
 * unclassified; for orders and the counts read after them, so does a stack overflow (helpers
 * going round in a circle), so that a broken order protocol is counted rather than crashing the run.
 */
final class Outcomes {

    private Outcomes() {}

    static String reserve(ReservationStrategy strategy, ReservationRequest request) {
        try {
            return word(strategy.reserve(request));
        } catch (RuntimeException e) {
            return "ERROR";
        }
    }

    /**
     * An order's status. A stack overflow is an answer too ({@code ERROR}): helpers that went
     * round in a circle (orders taking resources or keys in different orders) never stop helping.
     */
    static String order(ReservationStrategy strategy, List<ReservationRequest> lines) {
        return word(orderResult(strategy, lines));
    }

    /** An order's result, or null for an exception or a stack overflow (then {@link #word(OrderResult)} is {@code ERROR}). */
    static OrderResult orderResult(ReservationStrategy strategy, List<ReservationRequest> lines) {
        try {
            return strategy.reserveAll(lines);
        } catch (RuntimeException | StackOverflowError e) {
            return null;
        }
    }

    /** An order's status, and for a refusal the line it names: {@code INSUFFICIENT line 1}. */
    static String orderAndLine(ReservationStrategy strategy, List<ReservationRequest> lines) {
        OrderResult order = orderResult(strategy, lines);
        return order == null || order.isReserved() ? word(order) : word(order) + " line " + order.failedLine();
    }

    static String word(OrderResult order) {
        return order == null ? "ERROR" : word(order.status());
    }

    static String release(ReservationStrategy strategy, long reservationId) {
        try {
            return String.valueOf(strategy.release(reservationId));
        } catch (RuntimeException e) {
            return "ERROR";
        }
    }

    static String confirm(ReservationStrategy strategy, long reservationId) {
        try {
            return strategy.confirm(reservationId).name();
        } catch (RuntimeException e) {
            return "ERROR";
        }
    }

    static String extend(ReservationStrategy strategy, long reservationId, Duration ttl) {
        try {
            return strategy.extend(reservationId, ttl).name();
        } catch (RuntimeException e) {
            return "ERROR";
        }
    }

    /** The reserved count and its held part, as {@code reserved 1 held 0}. */
    static String ledger(ReservationStrategy strategy, String resourceId) {
        try {
            Availability availability = strategy.availability(resourceId).orElseThrow();
            return "reserved " + availability.reserved() + " held " + availability.held();
        } catch (RuntimeException | StackOverflowError e) {
            return "ERROR";
        }
    }

    static String reserved(ReservationStrategy strategy, String resourceId) {
        try {
            return String.valueOf(strategy.availability(resourceId).orElseThrow().reserved());
        } catch (RuntimeException | StackOverflowError e) {
            return "ERROR";
        }
    }

    static String word(ReservationResult result) {
        return word(result.status());
    }

    static String word(ReservationResult.Status status) {
        switch (status) {
            case INSUFFICIENT_CAPACITY:
                return "INSUFFICIENT";
            case IDEMPOTENCY_KEY_CONFLICT:
                return "CONFLICT";
            default:
                return status.name();
        }
    }
}
