package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.HOLDER_LIMIT_REACHED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.NaiveHolderLimitStrategy;
import dev.capacity.jdbc.testing.Race;
import dev.capacity.jdbc.testing.Race.Decision;
import dev.capacity.jdbc.testing.Seeds;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A scalper's bot: one holder sends many requests at once, from many threads, at a resource with
 * a per-holder limit and room to spare. Exactly the limit is granted, never more (the limit is
 * kept) and never less (room was there, so a refusal means the limit was reached); other holders
 * racing beside the bot are all served. Then the holder releases what they have while their next
 * requests race the releases: they never hold more than the limit. The holder table must agree
 * with the reservations afterwards ({@link LedgersAddUp}). A naive limit checked before the
 * reservation's transaction must fail the same race as over the limit.
 */
@ExtendWith(LedgersAddUp.class)
final class HolderLimitRaceTest {

    private static final int THREADS = 16;
    private static final int ROUNDS = 20;
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_oneHolderFrom16ThreadsAtOnce_getsExactlyTheLimit(StrategyFixture fixture) {
        long seed = Seeds.next("holder limit " + fixture);
        SplittableRandom random = new SplittableRandom(seed);
        ReservationStrategy strategy = fixture.strategy();
        try (Race race = new Race(THREADS)) {
            for (int round = 0; round < ROUNDS; round++) {
                String run = newId("run");
                int limit = 1 + random.nextInt(4);
                boolean holds = random.nextBoolean();
                String where = String.format("%s round %d (seed %d, limit %d, %s)", fixture, round, seed, limit,
                        holds ? "holds" : "permanent");
                strategy.define(run, 100);
                strategy.limitPerHolder(run, limit);

                List<Decision> decisions = raceOneHolder(race, strategy, run, limit, holds, where);

                // phase 2: the bot's units are released while its next requests race the releases
                List<Long> ids = decisions.stream().filter(d -> d.request().holderId().equals("bot"))
                        .filter(d -> d.result().isReserved()).map(d -> d.result().reservation().id()).toList();
                List<Decision> again = race.run(i -> i < ids.size()
                        ? new Decision(null, null, strategy.release(ids.get(i)) ? 1 : 0, 0)
                        : Race.decide(strategy, ReservationRequest.of(run, "bot")));
                assertThat(again.subList(0, ids.size())).as("every release returned true in %s", where)
                        .allMatch(d -> d.answers() == 1);
                long regranted = again.subList(ids.size(), THREADS).stream().filter(d -> d.result().isReserved()).count();
                assertThat(regranted).as("granted while the releases ran, in %s", where).isLessThanOrEqualTo(limit);
                long refusedAtLimit = strategy.reserve(ReservationRequest.of(run, "bot").withQuantity(limit)).status()
                        == HOLDER_LIMIT_REACHED ? 1 : 0;
                assertThat(refusedAtLimit).as("a request for the whole limit after %d regranted, in %s", regranted, where)
                        .isEqualTo(regranted > 0 ? 1 : 0);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("controls")
    void reserve_naiveLimitCheckedBeforeTheTransaction_isCaughtOverTheLimit(StrategyFixture fixture) {
        long seed = Seeds.next("naive holder limit " + fixture);
        String run = newId("run");
        int limit = 1 + new SplittableRandom(seed).nextInt(4);
        // every request checks before any of them acts
        ReservationStrategy naive = new NaiveHolderLimitStrategy(fixture.strategy(), THREADS);
        naive.define(run, 100);
        naive.limitPerHolder(run, limit);
        String where = String.format("%s (seed %d, limit %d)", naive, seed, limit);

        try (Race race = new Race(THREADS)) {
            assertThatThrownBy(() -> raceOneHolder(race, naive, run, limit, false, where))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("over the limit: holder 'bot' was granted " + bots() + " unit(s) of '" + run
                            + "', limited to " + limit);
        }
    }

    static Stream<StrategyFixture> controls() {
        return Stream.of(StrategyFixture.inMemory(), StrategyFixture.of(StrategyKind.CONDITIONAL_UPDATE, TestDatabase.POSTGRES),
                StrategyFixture.of(StrategyKind.CONDITIONAL_UPDATE, TestDatabase.MARIADB));
    }

    /** The bot sends every thread's request but each fourth's, which is another holder's. */
    private static int bots() {
        return THREADS - THREADS / 4;
    }

    /**
     * One race: the bot's many requests and a few other holders' at once, on a resource with room
     * for all. Fails as over or under the limit, naming the counts.
     */
    private static List<Decision> raceOneHolder(Race race, ReservationStrategy strategy, String run, int limit,
                                                boolean holds, String where) {
        List<Decision> decisions = race.run(i -> {
            ReservationRequest request = ReservationRequest.of(run, i % 4 == 3 ? "other-" + i : "bot");
            return Race.decide(strategy, holds ? request.withHold(TEN_MINUTES) : request);
        });
        long bot = 0;
        List<String> others = new ArrayList<>();
        for (Decision d : decisions) {
            assertThat(d.gaveUp()).as("a client gave up after %d CONTENDED answers in %s", d.answers(), where).isFalse();
            if (d.request().holderId().equals("bot")) {
                if (d.result().isReserved()) {
                    bot += d.result().reservation().quantity();
                } else {
                    assertThat(d.result().status()).as(where).isEqualTo(HOLDER_LIMIT_REACHED);
                }
            } else if (d.result().status() != RESERVED) {
                others.add(d.request().holderId() + ": " + d.result().status());
            }
        }
        if (bot > limit) {
            throw new AssertionError("over the limit: holder 'bot' was granted " + bot + " unit(s) of '" + run
                    + "', limited to " + limit + ", in " + where);
        }
        if (bot < limit) {
            throw new AssertionError("under the limit: holder 'bot' was granted " + bot + " unit(s) of '" + run
                    + "', limited to " + limit + ", with room to spare, in " + where);
        }
        assertThat(others).as("other holders refused in %s", where).isEmpty();
        assertThat(strategy.availability(run).orElseThrow().reserved()).as(where).isEqualTo(limit + THREADS / 4);
        return decisions;
    }
}
