package dev.capacity.stress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.OutcomeUnknownException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StoreUnavailableException;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.jdbc.testing.NaiveHolderLimitStrategy;
import dev.capacity.stress.internal.NaiveCheckThenActStrategy;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
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
        // the first request granted met room to spare: its twin was answered with its reservation
        assertThat(result.replayed()).isPositive();
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
                .run(call -> strategy.reserve(ReservationRequest.of(resource, "someone-else")));

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
        assertThatThrownBy(() -> race.holders(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("holders must be at least 1, was 0");
        assertThatThrownBy(() -> race.limitPerHolder("y", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("resourceId y is not in the race: add it with resource(...) first");
        assertThatThrownBy(() -> race.limitPerHolder("x", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxUnits must be at least 1, was 0 for x");
        assertThatThrownBy(() -> race.deadline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deadline must be positive, was PT0S");
        assertThatThrownBy(() -> race.name(null)).hasMessage("name");
        assertThatThrownBy(() -> race.run(null)).hasMessage("operation");
        assertThatThrownBy(() -> Race.against(strategy).resource(newResource(), 1).threads(1).doubleSubmits()
                .run(call -> null)).isInstanceOf(IllegalStateException.class)
                .hasMessage("doubleSubmits() needs at least 2 threads, to send each request twice at once");
        assertThatThrownBy(() -> Race.against(strategy).run(call -> null)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the race has no resource");
    }

    @Test
    void run_resourceNotDefinedOrNotEmpty_isRefusedBeforeAnythingIsReserved() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        String missing = newResource();
        String used = newResource();
        strategy.define(used, 5);
        strategy.reserve(ReservationRequest.of(used, "early-bird"));
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

    @ParameterizedTest(name = "{0}")
    @AllStrategies
    void run_aLimitPerHolderAndACrowdOfThreeHolders_passes(ReservationStrategy strategy) {
        RaceResult result = Race.against(strategy).resource("tickets", 30).limitPerHolder("tickets", 4).holders(3)
                .units(1, 2).threads(6).callsPerThread(4).run(call -> strategy.reserve(call.request()));

        result.assertCorrect(); // also: no holder over 4, none refused while its limit left room
        assertThat(result.reservedUnits()).isLessThanOrEqualTo(12);
    }

    @Test
    void run_limitCheckedThenActed_isCaughtOverTheLimit() {
        ReservationStrategy honest = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        ReservationStrategy naive = new NaiveHolderLimitStrategy(honest, 4);
        String resource = newResource();

        RaceResult result = Race.against(naive).tables(pool.jdbi()).resource(resource, 50).limitPerHolder(resource, 2)
                .holders(1).threads(4).callsPerThread(1).run(call -> naive.reserve(call.request()));

        assertThat(result.ok()).isFalse();
        assertThat(result.problems()).anyMatch(p -> p.startsWith("over the holder limit: ") && p.endsWith("limited to 2"));
    }

    @Test
    void run_holderLimitAnsweredWithoutALimitInTheRace_failsTheRace() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        String resource = newResource();

        RaceResult result = Race.against(strategy).resource(resource, 5).threads(1).callsPerThread(1)
                .run(call -> new ReservationResult(ReservationResult.Status.HOLDER_LIMIT_REACHED, null, 5, 1));

        assertThat(result.ok()).isFalse();
        assertThat(result.errors()).isEqualTo(1);
        assertThat(result.problems()).anyMatch(p -> p.contains("declare it with limitPerHolder"));
    }

    @Test
    void run_failuresThatAreNoRefusal_failTheRace() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        List<RaceOperation> broken = List.of(
                call -> {
                    throw new StoreUnavailableException("the pool is exhausted", null);
                },
                call -> {
                    throw new OutcomeUnknownException(call.request(), new java.sql.SQLException("the connection broke during COMMIT"));
                },
                call -> strategy.reserve(ReservationRequest.of("no-such-" + call.resourceId(), call.holderId())),
                call -> null);

        for (RaceOperation operation : broken) {
            RaceResult result = Race.against(strategy).resource(newResource(), 2).threads(2).callsPerThread(1)
                    .run(operation);

            assertThat(result.ok()).as(result.toString()).isFalse();
            assertThat(result.errors()).as(result.toString()).isEqualTo(2);
        }
    }

    @Test
    void run_contendedAnswers_areTriedAgainAndThePassingRaceCountsThem() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        Set<String> triedOnce = ConcurrentHashMap.newKeySet();

        RaceResult result = Race.against(strategy).tables(pool.jdbi()).resource(newResource(), 4).threads(2)
                .run(call -> triedOnce.add(call.holderId())
                        ? new ReservationResult(ReservationResult.Status.CONTENDED, null, ReservationResult.UNKNOWN_AVAILABLE, 3)
                        : strategy.reserve(call.request()));

        result.assertCorrect();
        assertThat(result.contended()).isEqualTo(8); // every one of the 8 requests once
        assertThat(result.calls()).isEqualTo(16);
        assertThat(result.reservedUnits()).isEqualTo(4);
    }

    @Test
    void run_callThatHangs_failsAtTheDeadlineWithWhatItWasDoing() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        CountDownLatch never = new CountDownLatch(1);
        try {
            RaceResult result = Race.against(strategy).resource(newResource(), 2).threads(2).callsPerThread(1)
                    .deadline(Duration.ofSeconds(3))  // long enough for both threads to be in their calls on a busy machine
                    .run(call -> {
                        never.await();
                        return strategy.reserve(call.request());
                    });

            assertThat(result.ok()).isFalse();
            // both threads stuck; the calls interrupted when the race ends may also count as errors
            assertThat(result.errors()).isBetween(2L, 4L);
            assertThat(result.problems()).anyMatch(p -> p.startsWith("stuck: thread 0") && p.contains("in a reserve of 1"));
        } finally {
            never.countDown();
        }
    }

    @Test
    void run_twoDoubleSubmitRacesOnOneStrategy_eachHasItsOwnHoldersAndKeys() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());

        for (int race = 0; race < 2; race++) {
            RaceResult result = Race.against(strategy).tables(pool.jdbi()).resource(newResource(), 5).threads(4)
                    .doubleSubmits().seed(7).run(call -> strategy.reserve(call.request()));

            result.assertCorrect();
            assertThat(result.reservedUnits()).isEqualTo(5);
        }
    }

    @Test
    void run_resourceWithReleasedRowsFromBefore_passes() {
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
        String resource = newResource();
        strategy.define(resource, 3);
        strategy.release(strategy.reserve(ReservationRequest.of(resource, "yesterday")).reservation().id());

        RaceResult result = Race.against(strategy).tables(pool.jdbi()).resource(resource).threads(3)
                .run(call -> strategy.reserve(call.request()));

        result.assertCorrect();
        assertThat(result.reservedUnits()).isEqualTo(3);
    }
}
