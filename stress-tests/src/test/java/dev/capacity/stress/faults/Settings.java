package dev.capacity.stress.faults;

import java.time.Duration;

/**
 * How the fault suite runs.
 *
 * @param threads racing threads
 * @param capacity the scale of the race: its two resources hold {@code capacity / 8} units each
 *     (see {@link FaultSuite#racePlan})
 * @param runFor how long each race runs at least
 * @param warmUp how long fault-free races that are not reported run first for each strategy,
 *     so that the measured races run on warm code (on the 2-core VM a fresh JVM's throughput
 *     climbs for about 15 s of racing, to about 2.5 times its first race's)
 * @param rounds how many times the races measured against the fault-free one (see
 *     {@link Fault#PAIRED}) run, each time with the fault-free race among them
 * @param kills backend terminations per strategy, at least
 * @param killPause the longest pause between two terminations (each pause is drawn uniformly up to it)
 * @param commitFaults failed COMMITs per strategy, at least
 * @param commitFaultShare the share of COMMITs that fail
 * @param timeouts statement and lock timeouts per strategy, at least
 * @param cancels statements interrupted by the killer per strategy, at least, where the database
 *     has a cancel that the killer uses (see {@link FaultTarget#cancelShare})
 * @param seed the seed of the plans and of the faults
 */
public record Settings(int threads, int capacity, Duration runFor, Duration warmUp, int rounds, int kills, Duration killPause,
                       int commitFaults, double commitFaultShare, int timeouts, int cancels, long seed) {

    public Settings {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, was " + rounds);
        }
    }

    /**
     * The short form, for {@code mvn verify}: 8 threads for at least 2 s per race, one round;
     * per race at least 50 terminations (one every 100 ms on average: every connection of the
     * pool lost about every second; the race goes on until there were 50), 120 failed COMMITs
     * (one in ten), 10 timeouts and, where the killer also cancels statements, 3 cancels: over
     * the five strategies, 250 terminations, 600 failed COMMITs and 50 timeouts. (Timeouts are
     * rare for optimistic-version, whose statements wait for no lock: 20 of them took it 22 s.)
     */
    public static Settings defaults(long seed) {
        return new Settings(8, 64, Duration.ofSeconds(2), Duration.ZERO, 1, 50, Duration.ofMillis(200), 120, 0.1, 10, 3, seed);
    }
}
