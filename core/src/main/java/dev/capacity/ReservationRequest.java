package dev.capacity;

import dev.capacity.internal.Arguments;
import dev.capacity.internal.Holds;

import java.time.Duration;
import java.time.Instant;

/**
 * A request for {@code quantity} units of a resource on behalf of a holder, optionally carrying
 * an idempotency key, and optionally a hold: units that count against the capacity only until
 * they are confirmed ({@link ReservationStrategy#confirm}), released, or the hold expires.
 *
 * <p>A request is validated when it is built, so an invalid one never reaches a strategy: ids
 * must be non-blank, at most {@value Arguments#MAX_ID_LENGTH} characters and free of control
 * characters; the quantity must be positive; the key, when present, follows the id rules.
 *
 * <p>Requests with the same idempotency key and the same resource, holder and quantity are the
 * same request: a strategy grants it at most once and answers the repeats with
 * {@link ReservationResult.Status#REPLAYED} (a hold's time to live is not compared: a retry
 * computes its own).
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param resourceId the resource to take units from
 * @param holderId who the units are held for (a user, an order, a session)
 * @param quantity how many units, at least one
 * @param idempotencyKey a key that makes retries safe, or {@code null}
 * @param hold how long the units are held unless confirmed, or {@code null} for a permanent
 *     reservation
 */
public record ReservationRequest(String resourceId, String holderId, int quantity, String idempotencyKey,
                                 Duration hold) {

    /**
     * The latest instant a hold may expire at: the end of year 9999, which every supported
     * database stores. A hold or extension that would expire later is refused.
     */
    public static final Instant LATEST_HOLD_EXPIRY = Instant.parse("9999-12-31T23:59:59.999999Z");

    public ReservationRequest {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireId(holderId, "holderId");
        Arguments.requirePositive(quantity, "quantity");
        if (idempotencyKey != null) {
            Arguments.requireId(idempotencyKey, "idempotencyKey");
        }
        if (hold != null) {
            Holds.requireTtl(hold, "ttl");
        }
    }

    /** A permanent request, as in 0.1. */
    public ReservationRequest(String resourceId, String holderId, int quantity, String idempotencyKey) {
        this(resourceId, holderId, quantity, idempotencyKey, null);
    }

    /** A request for one unit, without an idempotency key. */
    public static ReservationRequest of(String resourceId, String holderId) {
        return new ReservationRequest(resourceId, holderId, 1, null, null);
    }

    /** This request with another quantity. */
    public ReservationRequest withQuantity(int quantity) {
        return new ReservationRequest(resourceId, holderId, quantity, idempotencyKey, hold);
    }

    /** This request with an idempotency key; {@code key} must not be null. */
    public ReservationRequest withIdempotencyKey(String key) {
        Arguments.requireNonNull(key, "idempotencyKey");
        return new ReservationRequest(resourceId, holderId, quantity, key, hold);
    }

    /**
     * This request as a hold: its units count against the capacity until it is confirmed,
     * released, or {@code ttl} has passed by the strategy's clock, whichever comes first.
     *
     * @throws NullPointerException if {@code ttl} is null
     * @throws IllegalArgumentException if {@code ttl} is zero or negative
     */
    public ReservationRequest withHold(Duration ttl) {
        return new ReservationRequest(resourceId, holderId, quantity, idempotencyKey, Holds.requireTtl(ttl, "ttl"));
    }

    /** Whether this request asks for a hold rather than a permanent reservation. */
    public boolean isHold() {
        return hold != null;
    }

    /** Whether {@code reservation} is what this request asked for (resource, holder, quantity). */
    public boolean matches(Reservation reservation) {
        return resourceId.equals(reservation.resourceId())
                && holderId.equals(reservation.holderId())
                && quantity == reservation.quantity();
    }
}
