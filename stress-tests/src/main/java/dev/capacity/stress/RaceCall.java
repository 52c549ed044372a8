package dev.capacity.stress;

import dev.capacity.ReservationRequest;

/**
 * One call of a {@link Race}: what your {@link RaceOperation} is asked to reserve. This record is
 * immutable and threadsafe.
 *
 * @param resourceId the resource to reserve from
 * @param holderId who reserves: a new holder for each request (both calls of a double submit
 *     share it), or one of the race's {@link Race#holders(int) holders}
 * @param units how many units
 * @param idempotencyKey the request's key, or null; with {@link Race#doubleSubmits()}, two
 *     calls on two threads carry each key
 */
public record RaceCall(String resourceId, String holderId, int units, String idempotencyKey) {

    /** This call as the library's request: {@code strategy.reserve(call.request())} is a complete operation. */
    public ReservationRequest request() {
        return new ReservationRequest(resourceId, holderId, units, idempotencyKey, null);
    }
}
