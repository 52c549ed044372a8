package dev.capacity.jdbc;

import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;

/**
 * The result of one try of a reservation inside one transaction: a final answer, which only
 * stands if the transaction commits when it is {@code RESERVED}, or a lost race to retry.
 */
record Attempt(Status status, Reservation reservation, long available, String retryReason, boolean keep,
               boolean soldOutUnmarked) {

    static Attempt reserved(Reservation reservation, long available) {
        return new Attempt(Status.RESERVED, reservation, available, null, true, false);
    }

    static Attempt refused(Status status, long available) {
        return new Attempt(status, null, available, null, false, false);
    }

    /**
     * A refusal that found no slot free on a resource not marked sold out, in a transaction that
     * cannot keep the mark (the caller's, an order's, one above READ COMMITTED): the mark is made
     * after it (see
     * {@link UniqueSlotsStrategy}).
     */
    static Attempt refusedSoldOutUnmarked() {
        return new Attempt(Status.INSUFFICIENT_CAPACITY, null, 0, null, false, true);
    }

    /**
     * A refusal whose transaction still commits what it wrote besides the reservation (which it
     * removed): a mark that speeds up later refusals. The answer stands whether or not it commits.
     */
    static Attempt refusedKeeping(Status status, long available) {
        return new Attempt(status, null, available, null, true, false);
    }

    static Attempt retry(String reason) {
        return new Attempt(null, null, ReservationResult.UNKNOWN_AVAILABLE, reason, false, false);
    }

    /** The answer when the key is already taken by {@code existing}. */
    static Attempt replayOf(ReservationRequest request, Reservation existing) {
        return request.matches(existing)
                ? new Attempt(Status.REPLAYED, existing, ReservationResult.UNKNOWN_AVAILABLE, null, false, false)
                : new Attempt(Status.IDEMPOTENCY_KEY_CONFLICT, null, ReservationResult.UNKNOWN_AVAILABLE, null, false, false);
    }

    boolean isRetry() {
        return status == null;
    }

    /** Whether the transaction must commit for this answer to stand. */
    boolean writes() {
        return keep;
    }

    ReservationResult toResult(int attempts) {
        return new ReservationResult(status, reservation, available, attempts);
    }

    /** What this try asks of its transaction, as the {@code attempts}-th try. */
    Transactions.Step<ReservationResult> toStep(int attempts) {
        if (isRetry()) {
            return Transactions.Step.lostRace(retryReason);
        }
        ReservationResult result = toResult(attempts);
        return writes() ? Transactions.Step.keep(result) : Transactions.Step.discard(result);
    }
}
