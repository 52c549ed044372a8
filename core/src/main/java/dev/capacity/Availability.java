package dev.capacity;

import java.util.Objects;

/**
 * The capacity of a resource and how much of it is reserved, read at one moment by the strategy's
 * clock.
 *
 * <p>{@code reserved} counts the permanent units and the live holds (unconfirmed, unreleased and
 * expiring after that moment); {@code held} is the live-hold part of it. An expired hold counts in
 * neither, whether or not anything has swept it yet. {@code reserved} can exceed {@code capacity}
 * after a shrink below what was reserved.
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param resourceId the resource
 * @param capacity the capacity in force
 * @param reserved permanent units plus live holds
 * @param held the live holds, a part of {@code reserved}
 */
public record Availability(String resourceId, long capacity, long reserved, long held) {

    public Availability {
        Objects.requireNonNull(resourceId, "resourceId");
        if (held < 0 || held > reserved) {
            throw new IllegalArgumentException("held must be within [0, reserved], was " + held + " of " + reserved);
        }
    }

    /** A resource without holds, as in 0.1. */
    public Availability(String resourceId, long capacity, long reserved) {
        this(resourceId, capacity, reserved, 0);
    }

    /** Units that can still be reserved: {@code max(0, capacity - reserved)}. */
    public long available() {
        return Math.max(0, capacity - reserved);
    }
}
