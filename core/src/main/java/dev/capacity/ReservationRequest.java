package dev.capacity;

import dev.capacity.internal.Arguments;

/**
 * A request for {@code quantity} units of a resource on behalf of a holder, optionally carrying
 * an idempotency key.
 *
 * <p>A request is validated when it is built, so an invalid one never reaches a strategy: ids
 * must be non-blank, at most {@value Arguments#MAX_ID_LENGTH} characters and free of control
 * characters; the quantity must be positive; the key, when present, follows the id rules.
 *
 * <p>Requests with the same idempotency key and the same resource, holder and quantity are the
 * same request: a strategy grants it at most once and answers the repeats with
 * {@link ReservationResult.Status#REPLAYED}.
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param resourceId the resource to take units from
 * @param holderId who the units are held for (a user, an order, a session)
 * @param quantity how many units, at least one
 * @param idempotencyKey a key that makes retries safe, or {@code null}
 */
public record ReservationRequest(String resourceId, String holderId, int quantity, String idempotencyKey) {

    public ReservationRequest {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireId(holderId, "holderId");
        Arguments.requirePositive(quantity, "quantity");
        if (idempotencyKey != null) {
            Arguments.requireId(idempotencyKey, "idempotencyKey");
        }
    }

    /** A request for one unit, without an idempotency key. */
    public static ReservationRequest of(String resourceId, String holderId) {
        return new ReservationRequest(resourceId, holderId, 1, null);
    }

    /** This request with another quantity. */
    public ReservationRequest withQuantity(int quantity) {
        return new ReservationRequest(resourceId, holderId, quantity, idempotencyKey);
    }

    /** This request with an idempotency key; {@code key} must not be null. */
    public ReservationRequest withIdempotencyKey(String key) {
        Arguments.requireNonNull(key, "idempotencyKey");
        return new ReservationRequest(resourceId, holderId, quantity, key);
    }

    /** Whether {@code reservation} is what this request asked for (resource, holder, quantity). */
    public boolean matches(Reservation reservation) {
        return resourceId.equals(reservation.resourceId())
                && holderId.equals(reservation.holderId())
                && quantity == reservation.quantity();
    }
}
