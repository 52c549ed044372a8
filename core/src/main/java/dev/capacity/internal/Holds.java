package dev.capacity.internal;

import dev.capacity.ReservationRequest;

import java.time.Duration;
import java.time.Instant;

/** When holds expire, checked before anything is written. Not API. */
public final class Holds {

    /** {@link ReservationRequest#LATEST_HOLD_EXPIRY}. */
    public static final Instant LATEST_EXPIRY = ReservationRequest.LATEST_HOLD_EXPIRY;

    private Holds() {}

    /** A hold's time to live: not null, positive. */
    public static Duration requireTtl(Duration ttl, String name) {
        Arguments.requireNonNull(ttl, name);
        Arguments.requireArgument(!ttl.isNegative() && !ttl.isZero(), "%s must be positive, was %s", name, ttl);
        return ttl;
    }

    /**
     * {@code now + ttl}: when a hold made or extended at {@code now} expires, or an
     * {@link IllegalArgumentException} naming {@code name} if that is past {@link #LATEST_EXPIRY}
     * (or past what an {@link Instant} holds).
     */
    public static Instant expiry(Instant now, Duration ttl, String name) {
        requireTtl(ttl, name);
        Instant expiry;
        try {
            expiry = now.plus(ttl);
        } catch (ArithmeticException | java.time.DateTimeException e) {
            throw new IllegalArgumentException(name + " " + ttl + " from " + now + " is past the latest expiry "
                    + LATEST_EXPIRY, e);
        }
        Arguments.requireArgument(!expiry.isAfter(LATEST_EXPIRY), "%s %s from %s is past the latest expiry %s",
                name, ttl, now, LATEST_EXPIRY);
        return expiry;
    }
}
