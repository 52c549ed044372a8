package dev.capacity.stress.jcstress;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.Supplier;

/**
 * A clock that stands still at one instant (or reads another clock), except for a thread inside
 * {@link #reading}: that thread reads the instant it was given. Two threads of one strategy can
 * so read the clock on either side of a hold's expiry, as two threads reading the system clock a
 * microsecond apart do, and a jcstress test sees that on every sample rather than only when a
 * tick falls between them; a negative control can judge one call by the wrong instant.
 *
 * <p>This class is threadsafe.
 */
public final class PerThreadClock extends Clock {

    private static final ThreadLocal<Instant> OWN = new ThreadLocal<>();

    private final Clock common;

    PerThreadClock(Instant common) {
        this(Clock.fixed(common, ZoneOffset.UTC));
    }

    /** A clock that reads {@code common}, but for a thread inside {@link #reading}. */
    public PerThreadClock(Clock common) {
        this.common = common;
    }

    /** Runs {@code call} with this thread's clocks reading {@code instant}. */
    public static <T> T reading(Instant instant, Supplier<T> call) {
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
        return own != null ? own : common.instant();
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
