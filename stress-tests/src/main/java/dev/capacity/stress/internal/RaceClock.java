package dev.capacity.stress.internal;

import dev.capacity.StrategyOptions;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clock of a race: it stands still until a racing thread moves it forward, and every
 * strategy of the race reads it ({@code StrategyOptions.builder().clock(clock)}). Its readings
 * are whole microseconds, as the strategies store them, and it never goes back, so the reading a
 * call used lies between the readings taken just before and just after it.
 *
 * <p>This class is threadsafe.
 */
public final class RaceClock extends Clock {

    /** Where every race's clock starts: 2030-01-01T00:00:00Z. */
    public static final Instant START = Instant.parse("2030-01-01T00:00:00Z");

    private final AtomicLong micros = new AtomicLong(micros(START));

    /** Moves the clock forward by {@code amount} (whole microseconds); returns the new reading. */
    public long advance(Duration amount) {
        long by = amount.toNanos() / 1_000;
        if (by < 0) {
            throw new IllegalArgumentException("a race's clock only moves forward, not by " + amount);
        }
        return micros.addAndGet(by);
    }

    /** The default strategy options, with holds judged by this clock. */
    public StrategyOptions options() {
        return StrategyOptions.builder().clock(this).build();
    }

    /** The reading, in microseconds since the epoch. */
    public long micros() {
        return micros.get();
    }

    @Override
    public Instant instant() {
        long now = micros.get();
        return Instant.ofEpochSecond(Math.floorDiv(now, 1_000_000L), Math.floorMod(now, 1_000_000L) * 1_000L);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a RaceClock is at UTC");
    }

    /** An instant in microseconds since the epoch. */
    public static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    @Override
    public String toString() {
        return "RaceClock{" + instant() + '}';
    }
}
