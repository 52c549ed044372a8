package dev.capacity;

import java.util.Objects;

/**
 * The capacity of a resource and how much of it is reserved, read at one moment.
 *
 * <p>{@code reserved} can exceed {@code capacity} after a shrink below what was reserved.
 *
 * <p>This class is immutable and threadsafe.
 */
public record Availability(String resourceId, long capacity, long reserved) {

    public Availability {
        Objects.requireNonNull(resourceId, "resourceId");
    }

    /** Units that can still be reserved: {@code max(0, capacity - reserved)}. */
    public long available() {
        return Math.max(0, capacity - reserved);
    }
}
