package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.Availability;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.testing.Ledger;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.LastUnits;
import dev.capacity.jdbc.testing.Race;
import dev.capacity.jdbc.testing.Race.Decision;
import dev.capacity.jdbc.testing.Seeds;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The race of the problem statement: many callers press "register" for the last places at the
 * same moment. 32 threads are released by one latch against a resource with a few units left,
 * 50 rounds per strategy and database; each round must sell exactly the units left (oversold = 0,
 * undersold = 0) and leave a ledger that adds up. A client retries CONTENDED answers, as a real
 * one would, for {@link Race#PATIENCE} at most, so every request ends granted, refused, or given
 * up (a failure: see {@link LastUnits}). The seed of each run is in every failure message.
 */
@ExtendWith(LedgersAddUp.class)
final class LastUnitsRaceTest {

    private static final int THREADS = 32;
    private static final int ROUNDS = 50;

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_lastUnitsRacedBy32Threads_sellsExactlyTheUnitsLeft(StrategyFixture fixture) {
        long seed = Seeds.next("last units " + fixture);
        SplittableRandom random = new SplittableRandom(seed);
        ReservationStrategy strategy = fixture.strategy();
        try (Race race = new Race(THREADS)) {
            for (int round = 0; round < ROUNDS; round++) {
                String run = newId("run");
                int capacity = 4 + random.nextInt(16);
                int left = 1 + random.nextInt(3);
                String where = String.format("%s round %d (seed %d, capacity %d, %d left)",
                        fixture, round, seed, capacity, left);

                List<ReservationResult> results = LastUnits.race(race, strategy, run, capacity, left, where);

                assertThat(results.stream().filter(ReservationResult::isReserved).map(r -> r.reservation().id()))
                        .as(where).doesNotHaveDuplicates();
                assertThat(strategy.availability(run)).as(where).contains(new Availability(run, capacity, capacity));
                if (fixture.hasDatabase()) {
                    assertThat(fixture.ledger(run).reservationRows()).as(where).isEqualTo(left + (capacity > left ? 1 : 0));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_mixedQuantitiesRace_neverOversellsAndRefusesOnlyWhatDidNotFit(StrategyFixture fixture) {
        long seed = Seeds.next("mixed quantities " + fixture);
        SplittableRandom random = new SplittableRandom(seed);
        ReservationStrategy strategy = fixture.strategy();
        try (Race race = new Race(THREADS)) {
            for (int round = 0; round < ROUNDS / 2; round++) {
                String run = newId("run");
                int capacity = 10 + random.nextInt(30);
                int[] quantities = random.ints(THREADS, 1, 6).toArray();
                strategy.define(run, capacity);

                List<Decision> decisions = race.run(i -> Race.decide(strategy,
                        ReservationRequest.of(run, "user-" + i).withQuantity(quantities[i])));

                String where = String.format("%s round %d (seed %d, capacity %d)", fixture, round, seed, capacity);
                long reserved = decisions.stream().filter(d -> d.result().isReserved())
                        .mapToLong(d -> d.result().reservation().quantity()).sum();
                assertThat(reserved).as("oversold in %s", where).isLessThanOrEqualTo(capacity);
                assertThat(strategy.availability(run)).as(where).contains(new Availability(run, capacity, reserved));
                // nothing was released, so a refusal of q units means fewer than q are left at the end
                LastUnits.assertNoneUndersold(strategy, run, decisions, where);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void reserve_allCounterStrategiesOnOneResource_sellExactlyTheUnitsLeft(TestDatabase database) {
        long seed = Seeds.next("counter strategies together " + database);
        SplittableRandom random = new SplittableRandom(seed);
        List<ReservationStrategy> strategies = StrategyFixture.COUNTER_KINDS.stream()
                .map(kind -> StrategyFixture.of(kind, database).strategy()).toList();
        int threads = 32;
        try (Race race = new Race(threads)) {
            for (int round = 0; round < ROUNDS; round++) {
                String run = newId("run");
                int capacity = 4 + random.nextInt(16);
                int left = 1 + random.nextInt(4);
                strategies.get(round % strategies.size()).define(run, capacity);
                if (capacity > left) {
                    strategies.get(0).reserve(ReservationRequest.of(run, "early").withQuantity(capacity - left));
                }

                List<Decision> decisions = race.run(i -> Race.decide(strategies.get(i % strategies.size()),
                        ReservationRequest.of(run, "user-" + i)));

                String where = String.format("%s round %d (seed %d, capacity %d, %d left)",
                        database, round, seed, capacity, left);
                LastUnits.assertNoneUndersold(strategies.get(0), run, decisions, where);
                long granted = decisions.stream().filter(d -> d.result().status() == RESERVED).count();
                assertThat(granted).as("oversold = %d, undersold = %d in %s",
                        Math.max(0, granted - left), Math.max(0, left - granted), where).isEqualTo(left);
                assertThat(Ledger.read(database.jdbi(), "capacity_", run).reserved()).as(where).isEqualTo(capacity);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_sameReservationBy8ThreadsAtOnce_returnsTheUnitsOnce(StrategyFixture fixture) {
        long seed = Seeds.next("release race " + fixture);
        SplittableRandom random = new SplittableRandom(seed);
        ReservationStrategy strategy = fixture.strategy();
        try (Race race = new Race(8)) {
            for (int round = 0; round < ROUNDS; round++) {
                String run = newId("run");
                int quantity = 1 + random.nextInt(3);
                strategy.define(run, 10);
                strategy.reserve(ReservationRequest.of(run, "stays"));
                long id = strategy.reserve(ReservationRequest.of(run, "leaves").withQuantity(quantity)).reservation().id();

                List<Boolean> released = race.run(i -> strategy.release(id));

                String where = String.format("%s round %d (seed %d)", fixture, round, seed);
                assertThat(released.stream().filter(b -> b).count()).as("releases that returned true in %s", where)
                        .isEqualTo(1);
                assertThat(strategy.availability(run)).as(where).contains(new Availability(run, 10, 1));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void adjust_by16ThreadsAtOnce_losesNoUpdate(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy();
        try (Race race = new Race(16)) {
            for (int round = 0; round < ROUNDS / 5; round++) {
                String run = newId("run");
                strategy.define(run, 100);

                race.run(i -> {
                    for (int k = 0; k < 5; k++) {
                        strategy.adjust(run, i % 2 == 0 ? 3 : -1);
                    }
                    return i;
                });

                // 8 threads add 3 five times, 8 take 1 five times: +80 in all, whatever the order
                assertThat(strategy.availability(run).orElseThrow().capacity()).as("%s round %d", fixture, round)
                        .isEqualTo(180);
            }
        }
    }
}
