package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.testing.LastUnits;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.NeverSellsLastUnitStrategy;
import dev.capacity.jdbc.testing.NeverSellsLastUnitStrategy.Answer;
import dev.capacity.jdbc.testing.Race;
import dev.capacity.jdbc.testing.Seeds;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * THE NEGATIVE CONTROL of invariant 2 for {@link LastUnitsRaceTest}: a strategy that never sells
 * the last unit must fail the race for the last units as undersold, and soon, whether it refuses
 * the unit or answers CONTENDED after its whole retry time, again and again, until the callers
 * give up. It wraps the in-memory strategy and conditional-update on PostgreSQL and on MariaDB.
 * The broken strategy retries for 1 s and the callers for 3 s, not the 5 s and 15 s of
 * {@link LastUnitsRaceTest} ({@link Race#PATIENCE}): the same catch, a third of the time.
 */
@ExtendWith(LedgersAddUp.class)
final class LastUnitsRaceNegativeControlTest {

    private static final Duration RETRY_TIME = Duration.ofSeconds(1);
    private static final Duration PATIENCE = Duration.ofSeconds(3);

    static Stream<Arguments> brokenStrategies() {
        return Stream.of(StrategyFixture.inMemory(),
                        StrategyFixture.of(StrategyKind.CONDITIONAL_UPDATE, TestDatabase.POSTGRES),
                        StrategyFixture.of(StrategyKind.CONDITIONAL_UPDATE, TestDatabase.MARIADB))
                .flatMap(fixture -> Stream.of(Answer.values()).map(answer -> Arguments.of(fixture, answer)));
    }

    @ParameterizedTest(name = "{0}, answering {1}")
    @MethodSource("brokenStrategies")
    void race_strategyThatNeverSellsTheLastUnit_failsAsUndersold(StrategyFixture fixture, Answer answer) {
        long seed = Seeds.next("never sells the last unit " + fixture + " " + answer);
        SplittableRandom random = new SplittableRandom(seed);
        ReservationStrategy strategy = new NeverSellsLastUnitStrategy(fixture.strategy(), answer, RETRY_TIME);
        String run = newId("run");
        int capacity = 4 + random.nextInt(16);
        int left = 1 + random.nextInt(3);
        String where = String.format("%s (seed %d, capacity %d, %d left)", strategy, seed, capacity, left);
        long started = System.nanoTime();

        try (Race race = new Race(32)) {
            assertThatThrownBy(() -> LastUnits.race(race, strategy, run, capacity, left, PATIENCE, where))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageStartingWith("undersold: 1 unit of '" + run + "' never sold: ")
                    .hasMessageContaining(answer == Answer.CONTENDED ? "gave up after" : "refused (INSUFFICIENT_CAPACITY)")
                    .hasMessageEndingWith(where);
        }
        // a guard against a hang, not a measure of speed: the callers give up after PATIENCE
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
    }
}
