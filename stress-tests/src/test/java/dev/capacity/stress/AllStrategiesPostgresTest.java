package dev.capacity.stress;

import dev.capacity.ReservationStrategy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;

/** {@code @AllStrategies} on H2 and the embedded PostgreSQL: the five database strategies on each, then in-memory once. */
final class AllStrategiesPostgresTest {

    private static final AllStrategiesTest.Invocations INVOCATIONS = new AllStrategiesTest.Invocations("h2", "postgres");

    @ParameterizedTest(name = "{0}")
    @AllStrategies(databases = {"h2", "postgres"})
    void allStrategies_h2AndPostgres_everyStrategyOnAFreshSchemaOfEach(ReservationStrategy strategy, TestInfo info) {
        INVOCATIONS.soldOutOnAFreshSchema(strategy, info);
    }

    @AfterAll
    static void ranOncePerStrategyAndDatabase() {
        INVOCATIONS.ranAndClosed(
                "h2/optimistic-version", "h2/pessimistic-lock", "h2/conditional-update", "h2/unique-slots", "h2/combining",
                "postgres/optimistic-version", "postgres/pessimistic-lock", "postgres/conditional-update",
                "postgres/unique-slots", "postgres/combining",
                "memory/in-memory");
    }
}
