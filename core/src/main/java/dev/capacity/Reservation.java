package dev.capacity;

import java.time.Instant;
import java.util.Objects;

/**
 * Units granted to a holder. Released with {@link ReservationStrategy#release(long)}.
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param id the identity to release it by; positive
 * @param resourceId the resource the units come from
 * @param holderId who holds them
 * @param quantity how many units
 * @param idempotencyKey the key of the request that made it, or {@code null}
 * @param createdAt when it was granted, by the strategy's clock, to the microsecond
 */
public record Reservation(long id, String resourceId, String holderId, int quantity,
                          String idempotencyKey, Instant createdAt) {

    public Reservation {
        Objects.requireNonNull(resourceId, "resourceId");
        Objects.requireNonNull(holderId, "holderId");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
