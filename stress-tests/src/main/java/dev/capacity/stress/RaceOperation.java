package dev.capacity.stress;

import dev.capacity.ReservationResult;

/**
 * Your code under a {@link Race}: one reservation made the way your application makes it (in
 * your service, in your transaction, beside your own rows), for exactly what {@code call} asks.
 * Called from many threads at once.
 */
@FunctionalInterface
public interface RaceOperation {

    /**
     * Reserves {@link RaceCall#units()} of {@link RaceCall#resourceId()} for
     * {@link RaceCall#holderId()}, with {@link RaceCall#idempotencyKey()} if it is not null.
     *
     * @return the strategy's answer, as your code got it: the race checks it against what the
     *     store holds afterwards
     * @throws Exception anything your code throws: the race records it as an error, and fails
     *     (no faults are injected into a race, so even an unavailable store or an unknown outcome
     *     is one)
     */
    ReservationResult reserve(RaceCall call) throws Exception;
}
