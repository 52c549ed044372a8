package dev.capacity;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Units granted to a holder. Released with {@link ReservationStrategy#release(long)}; a hold is
 * made permanent with {@link ReservationStrategy#confirm(long)}.
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param id the identity to release it by; positive
 * @param resourceId the resource the units come from
 * @param holderId who holds them
 * @param quantity how many units
 * @param idempotencyKey the key of the request that made it, or {@code null}
 * @param createdAt when it was granted, by the strategy's clock, to the microsecond
 * @param expiresAt when the hold expires, present while it is an unconfirmed hold (as seen by the
 *     call that returned it: a replay of an expired hold shows the past expiry); empty for a
 *     permanent reservation
 */
public record Reservation(long id, String resourceId, String holderId, int quantity,
                          String idempotencyKey, Instant createdAt, Optional<Instant> expiresAt) {

    public Reservation {
        Objects.requireNonNull(resourceId, "resourceId");
        Objects.requireNonNull(holderId, "holderId");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** A permanent reservation, as in 0.1. */
    public Reservation(long id, String resourceId, String holderId, int quantity, String idempotencyKey,
                       Instant createdAt) {
        this(id, resourceId, holderId, quantity, idempotencyKey, createdAt, Optional.empty());
    }

    /** Whether this is an unconfirmed hold. */
    public boolean isHold() {
        return expiresAt.isPresent();
    }

    /**
     * Whether this is a hold that has expired by {@code now}: a replayed hold (the same
     * idempotency key sent again) is answered {@code REPLAYED} even after it expired, and its units
     * are free then.
     */
    public boolean isExpiredAt(Instant now) {
        return expiresAt.isPresent() && !expiresAt.get().isAfter(now);
    }
}
