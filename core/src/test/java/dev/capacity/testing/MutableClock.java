package dev.capacity.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until a test moves it: time is a parameter, so a test that waits for
 * a hold to expire moves the clock instead of sleeping.
 *
 * <p>This class is threadsafe.
 */
public final class MutableClock extends Clock {

    private final AtomicReference<Instant> now;

    public MutableClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** A clock at a fixed, round instant: 2030-01-01T00:00:00Z. */
    public static MutableClock start() {
        return new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    }

    /** Moves the clock forward (or back, for a negative amount); the new time. */
    public Instant advance(Duration amount) {
        return now.updateAndGet(t -> t.plus(amount));
    }

    public void set(Instant instant) {
        now.set(instant);
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a MutableClock is at UTC");
    }

    @Override
    public String toString() {
        return "MutableClock{" + now.get() + '}';
    }
}
