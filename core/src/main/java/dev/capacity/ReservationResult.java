package dev.capacity;

import java.util.Objects;
import java.util.Optional;

/**
 * The answer to a {@link ReservationRequest}.
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param status what happened
 * @param reservation the reservation for {@link Status#RESERVED} and {@link Status#REPLAYED};
 *     {@code null} otherwise
 * @param available the units left right after this call as the strategy saw them, or
 *     {@link #UNKNOWN_AVAILABLE} when it did not look (a replay, a conflict, contention, or
 *     unique-slots after a grant, which counts nothing on its fast path)
 * @param attempts how many tries the strategy made (transactions, for the database strategies)
 */
public record ReservationResult(Status status, Reservation reservation, long available, int attempts) {

    /** The value of {@link #available()} when the strategy did not observe it. */
    public static final long UNKNOWN_AVAILABLE = -1;

    public ReservationResult {
        Objects.requireNonNull(status, "status");
        if ((status == Status.RESERVED || status == Status.REPLAYED) != (reservation != null)) {
            throw new IllegalArgumentException(
                    "reservation must be present exactly for RESERVED and REPLAYED, status was " + status);
        }
        if (available < UNKNOWN_AVAILABLE) {
            throw new IllegalArgumentException("available must be -1 or more, was " + available);
        }
    }

    /**
     * Whether the request was granted: {@link Status#RESERVED} or {@link Status#REPLAYED}. A
     * replayed hold may have expired since ({@link Reservation#isExpiredAt}).
     */
    public boolean isReserved() {
        return reservation != null;
    }

    public Optional<Reservation> reservationIfAny() {
        return Optional.ofNullable(reservation);
    }

    /** Why a request was or was not granted. */
    public enum Status {
        /** Granted now. */
        RESERVED,
        /** Same idempotency key, same parameters: the earlier reservation. */
        REPLAYED,
        /** Would exceed the capacity; nothing written. */
        INSUFFICIENT_CAPACITY,
        /** No such resource; nothing written. */
        UNKNOWN_RESOURCE,
        /** The key was already used with another resource, holder or quantity; nothing written. */
        IDEMPOTENCY_KEY_CONFLICT,
        /** The retry or lock-wait budget was spent; nothing written; safe to retry. */
        CONTENDED,
        /**
         * The holder already has the resource's {@linkplain ReservationStrategy#limitPerHolder limit}
         * of live units there (permanent ones and live holds), or would pass it; nothing written.
         */
        HOLDER_LIMIT_REACHED
    }
}
