package dev.capacity.stress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * Four JVM processes against one PostgreSQL server, one counter strategy each, on the same
 * resources, with the same idempotency keys sent from different processes; the merged histories
 * must check out. The same race with the naive check-then-act in every process must be caught.
 */
final class MultiProcessRaceTest {

    private static final List<String> MIXED = List.of("optimistic-version", "pessimistic-lock", "conditional-update",
            "combining");

    private static EmbeddedPostgresServer postgres;

    @BeforeAll
    static void start() {
        postgres = EmbeddedPostgresServer.start(EmbeddedPostgresServer.Durability.FAST);
    }

    @AfterAll
    static void stop() {
        postgres.close();
    }

    @Test
    void fourProcessesWithTheFourCounterStrategies_onOneServer_checkOut(@TempDir Path work) {
        long seed = RaceHarnessTest.seed();
        for (Scenario scenario : List.of(Scenario.HOT, Scenario.CHURN)) {
            RaceReport report = MultiProcessRace.run(postgres.database(),
                    new MultiProcessRace.Config(MIXED, 4, scenario, 120, seed), work);
            System.out.println(report);

            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.refused()).as("demand exceeded capacity").isPositive();
            assertThat(report.grantedUnits()).isPositive();
        }
    }

    @Test
    void naiveCheckThenActInEveryProcess_isCaught(@TempDir Path work) {
        long seed = RaceHarnessTest.seed();
        String naive = "class:" + NaiveCheckThenActStrategy.class.getName();

        RaceReport report = MultiProcessRace.run(postgres.database(),
                new MultiProcessRace.Config(List.of(naive, naive, naive), 4, Scenario.HOT, 120, seed), work);
        System.out.println(report);

        assertThat(report.ok()).as(report.toString()).isFalse();
        assertThat(report.verdict().oversold()).as(report.toString()).isPositive();
        assertThat(report.verdict().ledger()).as(report.toString()).isPositive();
    }
}
