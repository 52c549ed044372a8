package dev.capacity.stress.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Four JVM processes against one server (PostgreSQL, then MariaDB), one counter strategy each, on the same
 * resources, with the same idempotency keys sent from different processes (and one holder's
 * requests from every process, at a per-holder limit; and crossing orders); the merged histories
 * must check out. The same race with the naive check-then-act in every process must be caught.
 */
final class MultiProcessRaceTest {

    private static final List<String> MIXED = List.of("optimistic-version", "pessimistic-lock", "conditional-update",
            "combining");

    private static EmbeddedPostgresServer postgres;
    private static EmbeddedMariaDbServer mariadb;

    @BeforeAll
    static void start() {
        postgres = EmbeddedPostgresServer.start(Durability.FAST);
        mariadb = EmbeddedMariaDbServer.start(Durability.FAST);
    }

    @AfterAll
    static void stop() {
        postgres.close();
        mariadb.close();
    }

    /** The servers every race runs on, one after the other. */
    private static List<Database> servers() {
        return List.of(postgres.database(), mariadb.database());
    }

    @Test
    void fourProcessesWithTheFourCounterStrategies_onOneServer_checkOut(@TempDir Path work) {
        long seed = RaceHarnessTest.seed();
        for (Database server : servers()) {
            for (Scenario scenario : List.of(Scenario.HOT, Scenario.CHURN)) {
                RaceReport report = MultiProcessRace.run(server, new MultiProcessRace.Config(MIXED, 4, scenario, 120, seed),
                        work);
                System.out.println(report);

                assertThat(report.ok()).as(report.toString()).isTrue();
                assertThat(report.refused()).as("demand exceeded capacity").isPositive();
                assertThat(report.grantedUnits()).isPositive();
            }
        }
    }

    /**
     * The holder-bot race across the four processes: the bot's opening burst comes from every
     * thread of every process at once, and its later requests from all of them, at a per-holder
     * limit the processes share only through the database; and crossing orders over the same
     * resources from every process. Every process's clock stands at the race's start, so the
     * holds never run out.
     */
    @Test
    void oneHolderFromEveryProcessAtALimit_andCrossingOrders_checkOut(@TempDir Path work) {
        long seed = RaceHarnessTest.seed();
        Scenario.Plan plan = MultiProcessRace.plan(Scenario.HOLDER_BOT, "p-", 16, 120, seed);
        for (int p = 0; p < 4; p++) {
            assertThat(plan.slice(4 * p, 4 * p + 4)).as("process %d sends the bot's requests", p)
                    .allMatch(script -> script.get(0) instanceof Scenario.Reserve r && r.holderId().equals("bot"));
        }
        assertThat(plan.scripts()).flatMap(script -> script).noneMatch(step -> step instanceof Scenario.Advance);

        for (Database server : servers()) {
            RaceReport bot = MultiProcessRace.run(server,
                    new MultiProcessRace.Config(MIXED, 4, Scenario.HOLDER_BOT, 120, seed), work);
            RaceReport orders = MultiProcessRace.run(server,
                    new MultiProcessRace.Config(MIXED, 4, Scenario.CROSSING_ORDERS, 120, seed), work);
            System.out.println(RaceReport.table(List.of(bot, orders)));

            assertThat(bot.ok()).as(bot.toString()).isTrue();
            assertThat(bot.holderLimited()).as("the limit refused some of the bot's requests").isPositive();
            assertThat(bot.holds()).isPositive();
            assertThat(orders.ok()).as(orders.toString()).isTrue();
            assertThat(orders.ordersGranted()).isPositive();
            assertThat(orders.ordersRefused()).isPositive();
        }
    }

    @Test
    void checkoutRace_isRefused_forItNeedsOneClockForEveryClient() {
        assertThatThrownBy(() -> new MultiProcessRace.Config(MIXED, 4, Scenario.CHECKOUT, 120, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one clock for every client");
    }

    @Test
    void naiveCheckThenActInEveryProcess_isCaught(@TempDir Path work) {
        long seed = RaceHarnessTest.seed();
        String naive = "class:" + NaiveCheckThenActStrategy.class.getName();

        for (Database server : servers()) {
            RaceReport report = MultiProcessRace.run(server,
                    new MultiProcessRace.Config(List.of(naive, naive, naive), 4, Scenario.HOT, 120, seed), work);
            System.out.println(report);

            assertThat(report.ok()).as(report.toString()).isFalse();
            assertThat(report.verdict().oversold()).as(report.toString()).isPositive();
            assertThat(report.verdict().ledger()).as(report.toString()).isPositive();
        }
    }

    @Test
    @Timeout(120) // should the bounded wait break, this fails instead of hanging the build
    void processThatNeverSaysReady_failsTheRaceInSeconds_withWhatItLogged(@TempDir Path work) {
        String hangs = "class:" + HangsBeforeReadyStrategy.class.getName();
        long started = System.nanoTime();

        assertThatThrownBy(() -> MultiProcessRace.run(postgres.database(),
                new MultiProcessRace.Config(List.of(hangs), 1, Scenario.HOT, 10, RaceHarnessTest.seed()), work,
                Duration.ofSeconds(5)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("process 0 did not say READY in 5 s:");
        // a guard against a hang, not a measure of speed: the wait is bounded
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
    }
}
