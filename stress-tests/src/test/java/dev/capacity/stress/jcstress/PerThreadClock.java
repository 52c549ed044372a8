package dev.capacity.stress.jcstress;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.Supplier;

/**
 * A clock that stands still at one instant, except for a thread inside {@link #reading}: that
 * thread reads the instant it was given. Two threads of one strategy can so read the clock on
 * either side of a hold's expiry, as two threads reading the system clock a microsecond apart do,
 * and a jcstress test sees that on every sample rather than only when a tick falls between them.
 *
 * <p>This class is threadsafe.
 */
final class PerThreadClock extends Clock {

    private static final ThreadLocal<Instant> OWN = new ThreadLocal<>();

    private final Instant common;

    PerThreadClock(Instant common) {
        this.common = common;
    }

    /** Runs {@code call} with this thread's clocks reading {@code instant}. */
    static <T> T reading(Instant instant, Supplier<T> call) {
        OWN.set(instant);
        try {
            return call.get();
        } finally {
            OWN.remove();
        }
    }

    @Override
    public Instant instant() {
        Instant own = OWN.get();
        return own != null ? own : common;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a PerThreadClock is at UTC");
    }
}
