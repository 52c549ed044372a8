package dev.capacity.stress.jcstress;

import dev.capacity.Availability;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import java.time.Duration;

/**
 * Turns what a strategy did into the short words the jcstress outcomes are written in. An
 * exception becomes {@code ERROR}, which every test lists as forbidden, so no outcome is left
 * unclassified.
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
        } catch (RuntimeException e) {
            return "ERROR";
        }
    }

    static String reserved(ReservationStrategy strategy, String resourceId) {
        try {
            return String.valueOf(strategy.availability(resourceId).orElseThrow().reserved());
        } catch (RuntimeException e) {
            return "ERROR";
        }
    }

    static String word(ReservationResult result) {
        switch (result.status()) {
            case INSUFFICIENT_CAPACITY:
                return "INSUFFICIENT";
            case IDEMPOTENCY_KEY_CONFLICT:
                return "CONFLICT";
            default:
                return result.status().name();
        }
    }
}
