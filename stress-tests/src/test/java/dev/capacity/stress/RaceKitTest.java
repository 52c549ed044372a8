package dev.capacity.stress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.stress.internal.NaiveCheckThenActStrategy;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

/**
 * {@link Race}: a sound operation passes on every strategy with every unit sold; the race catches
 * an operation that oversells, one that reports a reservation its transaction rolled back, and
 * one that throws; bad settings are refused before anything is reserved.
 */
final class RaceKitTest {

    private static final AtomicLong RESOURCES = new AtomicLong();

    /** An H2 database of this class's own, for the races on a strategy not made by {@code @AllStrategies}. */
    private static CapacityPool pool;

    @BeforeAll
    static void openPool() {
        pool = CapacityPool.open("jdbc:h2:mem:race-kit-test;DB_CLOSE_DELAY=-1", "sa", "");
        CapacitySchema.install(pool.jdbi());
    }

    @AfterAll
    static void closePool() {
        pool.close();
    }

    private static String newResource() {
        return "seats-" + RESOURCES.incrementAndGet();
    }

    @ParameterizedTest(name = "{0}")
    @AllStrategies
    void run_soundOperation_sellsEveryUnitAndPasses(ReservationStrategy strategy) {
        RaceResult result = Race.against(strategy).resource("run-1", 20).threads(8)
                .run(call -> strategy.reserve(call.request()));

        result.assertCorrect();
        assertThat(result.reservedUnits()).isEqualTo(20);
        assertThat(result.oversold()).isZero();
        assertThat(result.calls()).isGreaterThanOrEqualTo(40); // twice the capacity, by default
        assertThat(result.refused()).isGreaterThanOrEqualTo(20);
        assertThat(result.rowsChecked()).isEqualTo(!strategy.name().equals("in-memory"));
        assertThat(result.throughput()).isPositive();
        assertThat(result.p50()).isLessThanOrEqualTo(result.p90());
        assertThat(result.p90()).isLessThanOrEqualTo(result.p99());
        assertThat(result.p99()).isLessThanOrEqualTo(result.max());
    }

    @ParameterizedTest(name = "{0}")
    @AllStrategies
    void run_doubleSubmitsOverTwoResourcesInTheCallersTransaction_passes(ReservationStrategy strategy, Jdbi jdbi) {
        jdbi.useHandle(h -> h.execute("CREATE TABLE seat_sale (holder_id VARCHAR(200) PRIMARY KEY, units INT)"));
        RaceOperation sale = call -> strategy instanceof JdbiReservationStrategy joinable
                ? jdbi.inTransaction(h -> {
                    ReservationResult r = joinable.reserve(h, call.request());
                    if (r.status() == ReservationResult.Status.RESERVED) {
                        h.execute("INSERT INTO seat_sale VALUES (?, ?)", call.holderId(), call.units());
                    }
                    return r;
                })
                : strategy.reserve(call.request());

        RaceResult result = Race.against(strategy).resource("a", 12).resource("b", 7).threads(6).units(1, 3)
                .doubleSubmits().seed(42).run(sale);

        result.assertCorrect();
        assertThat(result.seed()).isEqualTo(42);
        assertThat(result.reservedUnits()).isLessThanOrEqualTo(19);
        if (strategy instanceof JdbiReservationStrategy) {
            long sold = jdbi.withHandle(h -> h.createQuery("SELECT COALESCE(SUM(units), 0) FROM seat_sale")
                    .mapTo(Long.class).one());
            assertThat(sold).isEqualTo(result.reservedUnits());
        }
    }

    @ParameterizedTest(name = "{0}")
    @AllStrategies
    void allStrategies_dataSourceParameter_isTheDatabaseOfTheStrategy(ReservationStrategy strategy, DataSource database)
            throws Exception {
        try (var c = database.getConnection(); var s = c.createStatement()) {
            s.execute("CREATE TABLE own_rows (id INT)");
            assertThat(tableExists(c, "capacity_resource")).isEqualTo(!strategy.name().equals("in-memory"));
        }
    }

    private static boolean tableExists(java.sql.Connection c, String table) throws java.sql.SQLException {
        for (String name : new String[] {table, table.toUpperCase(java.util.Locale.ROOT)}) {
            try (var tables = c.getMetaData().getTables(null, null, name, null)) {
                if (tables.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void run_checkThenActStrategy_isCaughtOverselling() {
        String resource = newResource();
        ReservationStrategy naive = new NaiveCheckThenActStrategy(pool.jdbi(), 4);

        RaceResult result = Race.against(naive).tables(pool.jdbi()).resource(resource, 3).threads(4).callsPerThread(2)
                .run(call -> naive.reserve(call.request()));

        assertThat(result.ok()).isFalse();
        assertThat(result.oversold()).isPositive();
        assertThatThrownBy(result::assertCorrect).isInstanceOf(AssertionError.class)
                .hasMessageContaining("oversold")
                .hasMessageContaining("rerun with .seed(" + result.seed() + ")");
    }

    @Test
    void run_checkThenActStrategyWithoutItsTables_isCaughtByTheCounters() {
        String resource = newResource();
        ReservationStrategy naive = new NaiveCheckThenActStrategy(pool.jdbi(), 4);

        RaceResult result = Race.against(naive).resource(resource, 3).threads(4).callsPerThread(2)
                .run(call -> naive.reserve(call.request()));

        assertThat(result.rowsChecked()).isFalse();
        assertThat(result.ok()).isFalse();
        assertThat(result.oversold()).isPositive();
    }

    @Test
    void run_reservationRolledBackButReported_isCaught() {
        JdbiReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());

        RaceResult result = Race.against(strategy).tables(pool.jdbi()).resource(newResource(), 5).threads(2)
                .run(call -> pool.jdbi().inTransaction(h -> {
                    ReservationResult r = strategy.reserve(h, call.request());
                    h.rollback(); // the service's own insert failed, yet it answers with the reservation
                    return r;
                }));

        assertThat(result.ok()).isFalse();
        assertThat(result.problems()).anyMatch(p -> p.startsWith("lost: ") && p.contains("has no row"));
    }

    @Test
    void run_operationThrows_failsTheRaceWithTheException() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());

        RaceResult result = Race.against(strategy).resource(newResource(), 2).threads(2).callsPerThread(1)
                .run(call -> {
                    throw new java.io.IOException("the mail server is down");
                });

        assertThat(result.ok()).isFalse();
        assertThat(result.problems()).anyMatch(p -> p.startsWith("error") && p.contains("the mail server is down"));
    }

    @Test
    void run_operationAnswersForAnotherHolder_failsTheRace() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        String resource = newResource();

        RaceResult result = Race.against(strategy).tables(pool.jdbi()).resource(resource, 2).threads(1).callsPerThread(1)
                .run(call -> strategy.reserve(dev.capacity.ReservationRequest.of(resource, "someone-else")));

        assertThat(result.ok()).isFalse();
        assertThat(result.problems()).anyMatch(p -> p.contains("answered with reservation"));
    }

    @Test
    void builder_badSettings_areRefusedNamingTheArgument() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        Race race = Race.against(strategy);

        assertThatThrownBy(() -> Race.against(null)).hasMessage("strategy");
        assertThatThrownBy(() -> race.resource(null, 1)).hasMessage("resourceId");
        assertThatThrownBy(() -> race.resource("x", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity must be at least 1, was 0 for x");
        assertThatThrownBy(() -> race.resource("x", 1).resource("x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("resourceId x is in the race already");
        assertThatThrownBy(() -> race.threads(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be 1 to 1024, was 0");
        assertThatThrownBy(() -> race.callsPerThread(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("callsPerThread must be 1 to 100000, was 0");
        assertThatThrownBy(() -> race.units(2, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("units must satisfy 1 <= min <= max, were min 2, max 1");
        assertThatThrownBy(() -> race.run(null)).hasMessage("operation");
        assertThatThrownBy(() -> Race.against(strategy).run(call -> null)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the race has no resource");
    }

    @Test
    void run_resourceNotDefinedOrNotEmpty_isRefusedBeforeAnythingIsReserved() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        String missing = newResource();
        String used = newResource();
        strategy.define(used, 5);
        strategy.reserve(dev.capacity.ReservationRequest.of(used, "early-bird"));
        AtomicLong calls = new AtomicLong();
        RaceOperation counted = call -> {
            calls.incrementAndGet();
            return strategy.reserve(call.request());
        };

        assertThatThrownBy(() -> Race.against(strategy).resource(missing).run(counted)).isInstanceOf(IllegalStateException.class)
                .hasMessage("resource " + missing + " is not defined: define it before the race, or race with"
                        + " resource(id, capacity)");
        assertThatThrownBy(() -> Race.against(strategy).resource(used).run(counted)).isInstanceOf(IllegalStateException.class)
                .hasMessage("resource " + used + " has 1 units reserved before the race; a race starts from a resource"
                        + " with nothing reserved");
        assertThat(calls).hasValue(0);
        assertThat(strategy.availability(used).orElseThrow().reserved()).isEqualTo(1);
        assertThat(strategy.availability(missing)).isEmpty();
    }
}
