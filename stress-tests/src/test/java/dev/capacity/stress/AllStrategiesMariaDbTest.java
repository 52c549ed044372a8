package dev.capacity.stress;

import dev.capacity.ReservationStrategy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;

/** {@code @AllStrategies} on the embedded MariaDB: the five database strategies, each on a database of its own, then in-memory. */
final class AllStrategiesMariaDbTest {

    private static final AllStrategiesTest.Invocations INVOCATIONS = new AllStrategiesTest.Invocations("mariadb");

    @ParameterizedTest(name = "{0}")
    @AllStrategies(databases = "mariadb")
    void allStrategies_mariadb_everyStrategyOnAFreshDatabase(ReservationStrategy strategy, TestInfo info) {
        INVOCATIONS.soldOutOnAFreshSchema(strategy, info);
    }

    @AfterAll
    static void ranOncePerStrategyAndClosedEach() {
        INVOCATIONS.ranAndClosed("mariadb/optimistic-version", "mariadb/pessimistic-lock", "mariadb/conditional-update",
                "mariadb/unique-slots", "mariadb/combining", "memory/in-memory");
    }
}
