package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.Race;
import dev.capacity.jdbc.testing.Seeds;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.testing.MutableClock;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Holds under races, for every strategy on every database (and in memory): the last units held
 * by expired holds are sold to racing callers, never refused; many confirms of one hold confirm
 * it once; a confirm racing a release ends the hold once either way; sweeps racing each other
 * and reservations end each expired hold once. Threads start together on a latch; the clock is
 * the test's own, moved between rounds. The seed is in every failure message.
 */
@ExtendWith(LedgersAddUp.class)
final class HoldRaceTest {

    private static final int THREADS = 16;
    private static final Duration TTL = Duration.ofMinutes(1);

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.all();
    }

    static Stream<StrategyFixture> databaseFixtures() {
        return StrategyFixture.onDatabases();
    }

    private static ReservationStrategy on(StrategyFixture fixture, MutableClock clock) {
        return fixture.strategy(StrategyOptions.builder().clock(clock).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_lastUnitsHeldByExpiredHolds_areSoldToTheRacersNeverRefused(StrategyFixture fixture) {
        long seed = Seeds.next("expired holds " + fixture);
        SplittableRandom random = new SplittableRandom(seed);
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(fixture, clock);
        try (Race race = new Race(THREADS)) {
            for (int round = 0; round < 10; round++) {
                String run = newId("run");
                int capacity = 2 + random.nextInt(6);
                int expiring = 1 + random.nextInt(capacity);
                strategy.define(run, capacity);
                List<Long> holds = new ArrayList<>();
                for (int i = 0; i < expiring; i++) {
                    holds.add(strategy.reserve(ReservationRequest.of(run, "cart-" + i).withHold(TTL)).reservation().id());
                }
                if (capacity > expiring) {
                    strategy.reserve(ReservationRequest.of(run, "early").withQuantity(capacity - expiring));
                }
                clock.advance(TTL);

                List<ReservationResult> results = race.run(
                        i -> Race.reserveUntilDecided(strategy, ReservationRequest.of(run, "user-" + i)));

                String where = String.format("%s round %d (seed %d, capacity %d, %d expired holds)", fixture, round,
                        seed, capacity, expiring);
                long granted = results.stream().filter(r -> r.status() == RESERVED).count();
                assertThat(granted).as("the units of the expired holds, sold in %s", where).isEqualTo(expiring);
                assertThat(results).as(where).allMatch(r -> r.status() == RESERVED || r.status() == INSUFFICIENT_CAPACITY);
                assertThat(strategy.availability(run)).as(where).contains(new Availability(run, capacity, capacity, 0));
                for (long hold : holds) {
                    assertThat(strategy.confirm(hold)).as(where).isEqualTo(HoldStatus.EXPIRED);
                    assertThat(strategy.release(hold)).as(where).isFalse();
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void confirm_oneHoldConfirmedBy16Threads_confirmsItOnce(StrategyFixture fixture) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(fixture, clock);
        try (Race race = new Race(THREADS)) {
            for (int round = 0; round < 5; round++) {
                String run = newId("run");
                strategy.define(run, 3);
                long hold = strategy.reserve(ReservationRequest.of(run, "ada").withQuantity(2).withHold(TTL))
                        .reservation().id();

                List<HoldStatus> answers = race.run(i -> strategy.confirm(hold));

                assertThat(answers).as("%s round %d", fixture, round).containsOnlyOnce(HoldStatus.CONFIRMED)
                        .containsOnly(HoldStatus.CONFIRMED, HoldStatus.ALREADY_CONFIRMED);
                clock.advance(TTL);
                assertThat(strategy.availability(run)).contains(new Availability(run, 3, 2, 0));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void confirmAndRelease_racingOnOneHold_endItOnceEitherWay(StrategyFixture fixture) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(fixture, clock);
        try (Race race = new Race(2)) {
            for (int round = 0; round < 20; round++) {
                String run = newId("run");
                strategy.define(run, 1);
                long hold = strategy.reserve(ReservationRequest.of(run, "ada").withHold(TTL)).reservation().id();

                List<Object> answers = race.run(i -> i == 0 ? strategy.confirm(hold) : (Object) strategy.release(hold));

                String where = fixture + " round " + round;
                // release wins, or confirm does and the release then returns the confirmed unit: the unit is back either way
                assertThat(answers).as(where).isIn(List.of(HoldStatus.CONFIRMED, true), List.of(HoldStatus.RELEASED, true));
                assertThat(strategy.availability(run)).as(where).contains(new Availability(run, 1, 0, 0));
                assertThat(strategy.release(hold)).as(where).isFalse();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void sweep_threeSweepersRacingReservations_endEachExpiredHoldOnce(StrategyFixture fixture) {
        long seed = Seeds.next("sweeps " + fixture);
        SplittableRandom random = new SplittableRandom(seed);
        MutableClock clock = MutableClock.start();
        // tables of its own: a sweep ends the expired holds of every resource, other tests' too
        String prefix = "sweep_" + Long.toHexString(random.nextLong() & 0xffffffffL) + "_";
        JdbiReservationStrategy strategy = (JdbiReservationStrategy) fixture.strategy(
                StrategyOptions.builder().clock(clock).tablePrefix(prefix).build());
        String run = newId("run");
        int expired = 30 + random.nextInt(30);
        int live = 10;
        strategy.define(run, expired + live + THREADS);
        for (int i = 0; i < expired; i++) {
            strategy.reserve(ReservationRequest.of(run, "gone-" + i).withHold(TTL));
        }
        clock.advance(TTL);
        for (int i = 0; i < live; i++) {
            strategy.reserve(ReservationRequest.of(run, "live-" + i).withHold(TTL));
        }

        List<Long> swept;
        try (Race race = new Race(THREADS)) {
            swept = race.run(i -> i < 3 ? strategy.sweepExpiredHolds()
                    : Race.reserveUntilDecided(strategy, ReservationRequest.of(run, "user-" + i)).isReserved() ? -1L : -2L);
        }

        String where = String.format("%s (seed %d, %d expired, %d live)", fixture, seed, expired, live);
        long sweptHolds = swept.subList(0, 3).stream().mapToLong(Long::longValue).sum();
        assertThat(swept.subList(3, THREADS)).as("every racer got a unit in %s", where).containsOnly(-1L);
        // reservations had room without reclaiming, so the sweeps ended every expired hold, each once
        assertThat(sweptHolds).as("holds swept in %s", where).isEqualTo(expired);
        assertThat(strategy.sweepExpiredHolds()).isZero();
        assertThat(strategy.availability(run)).as(where)
                .contains(new Availability(run, expired + live + THREADS, live + THREADS - 3, live));
    }
}
