package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.CapacityException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.LockWaits;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.jdbc.testing.Waits;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * What InnoDB does differently in a caller's transaction, and what a joined call says about it:
 * REPEATABLE READ (InnoDB's default) is refused before anything is written, and a deadlock, which
 * rolls back InnoDB's whole transaction rather than the statement, is reported as such.
 */
@ExtendWith(LedgersAddUp.class)
final class MariaDbTransactionTest {

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.onDatabases().filter(f -> f.database() == TestDatabase.MARIADB);
    }

    private static Jdbi jdbiWithOrders() {
        Jdbi jdbi = TestDatabase.MARIADB.jdbi();
        jdbi.useHandle(h -> h.execute(
                "CREATE TABLE IF NOT EXISTS test_order (id VARCHAR(100) PRIMARY KEY, reservation_id BIGINT NOT NULL)"));
        return jdbi;
    }

    private static int orders(Jdbi jdbi, String orderId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM test_order WHERE id = :id")
                .bind("id", orderId).mapTo(Integer.class).one());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_inARepeatableReadTransaction_isRefusedNamingTheLevel_andTheTransactionGoesOn(StrategyFixture fixture) {
        Jdbi jdbi = jdbiWithOrders();
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        String order = newId("order");
        strategy.define(run, 3);

        jdbi.useHandle(handle -> {
            handle.setTransactionIsolationLevel(TransactionIsolationLevel.REPEATABLE_READ);
            handle.useTransaction(h -> {
                h.execute("INSERT INTO test_order (id, reservation_id) VALUES (?, 0)", order);
                assertThatThrownBy(() -> strategy.reserve(h, ReservationRequest.of(run, "buyer")))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("REPEATABLE READ").hasMessageContaining("needs READ COMMITTED");
            });
        });

        assertThat(orders(jdbi, order)).as("the caller's transaction went on and committed").isEqualTo(1);
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 0));
    }

    /**
     * The caller's transaction holds an order row; a blocker holds the resource row and then
     * asks for the order row while the joined reserve waits for the resource row. InnoDB breaks
     * the cycle by rolling back the transaction that wrote less, the caller's, whole: the reserve
     * must say so, not report a missing savepoint or an answer the caller could commit.
     */
    @Test
    void reserve_deadlockVictimInTheCallersTransaction_saysTheWholeTransactionIsGone() throws Exception {
        Jdbi jdbi = jdbiWithOrders();
        JdbiReservationStrategy strategy = JdbiStrategies.of(StrategyKind.PESSIMISTIC_LOCK, jdbi,
                StrategyOptions.builder().lockTimeout(Duration.ofSeconds(20)).build());
        String run = newId("run");
        String order = newId("order");
        strategy.define(run, 3);
        ExecutorService executor = Executors.newSingleThreadExecutor();

        try (Handle caller = jdbi.open(); Handle blocker = jdbi.open()) {
            long callerSession = caller.createQuery("SELECT CONNECTION_ID()").mapTo(Long.class).one();
            caller.begin();
            caller.execute("INSERT INTO test_order (id, reservation_id) VALUES (?, 0)", order);
            blocker.begin();
            for (int i = 0; i < 20; i++) {  // the heavier transaction: InnoDB rolls back the lighter one
                blocker.execute("INSERT INTO test_order (id, reservation_id) VALUES (?, 0)", newId("heavy"));
            }
            blocker.createQuery("SELECT capacity FROM capacity_resource WHERE id = :id FOR UPDATE").bind("id", run)
                    .mapTo(Long.class).one();

            CompletableFuture<ReservationResult> reserve = CompletableFuture.supplyAsync(
                    () -> strategy.reserve(caller, ReservationRequest.of(run, "buyer")), executor);
            BooleanSupplier callerWaits = LockWaits.session(TestDatabase.MARIADB, callerSession);
            Waits.until(() -> reserve.isDone() || callerWaits.getAsBoolean());
            assertThat(reserve).as("the reserve waits for the blocker's row lock, it has not ended yet").isNotDone();
            // closes the cycle: InnoDB rolls the caller back at once, and this read goes on
            blocker.createQuery("SELECT COUNT(*) FROM test_order WHERE id = :id FOR UPDATE").bind("id", order)
                    .mapTo(Integer.class).one();

            Throwable failure = catchCause(reserve);
            assertThat(failure).isInstanceOf(CapacityException.class)
                    .hasMessageContaining("roll back the caller's whole transaction")
                    .hasMessageContaining("1213");
            caller.rollback();
            blocker.rollback();
        } finally {
            executor.shutdownNow();
        }

        assertThat(orders(jdbi, order)).as("the database undid the caller's order").isZero();
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 0));
    }

    private static Throwable catchCause(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(30, TimeUnit.SECONDS);
            throw new AssertionError("the reserve was answered: " + future.join());
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the reserve neither failed nor answered in 30 s", e);
        }
    }

    /** A handle outside a transaction lends its connection to the strategy's own transactions, which put its level back. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_onARepeatableReadHandleOutsideATransaction_reservesAndLeavesTheLevelAsItWas(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        strategy.define(run, 2);

        TransactionIsolationLevel after = TestDatabase.MARIADB.jdbi().withHandle(handle -> {
            handle.setTransactionIsolationLevel(TransactionIsolationLevel.REPEATABLE_READ);
            assertThat(strategy.reserve(handle, ReservationRequest.of(run, "h")).isReserved()).isTrue();
            assertThat(strategy.release(handle, strategy.reserve(handle, ReservationRequest.of(run, "h")).reservation().id()))
                    .isTrue();
            return handle.getTransactionIsolationLevel();
        });

        assertThat(after).isEqualTo(TransactionIsolationLevel.REPEATABLE_READ);
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 1));
    }

    @Test
    void pessimisticLock_inTheCallersTransaction_answersAtReadCommitted() {
        JdbiReservationStrategy strategy = JdbiStrategies.of(StrategyKind.PESSIMISTIC_LOCK, TestDatabase.MARIADB.jdbi());
        String run = newId("run");
        strategy.define(run, 1);

        ReservationResult result = TestDatabase.MARIADB.jdbi().inTransaction(TransactionIsolationLevel.READ_COMMITTED,
                h -> strategy.reserve(h, ReservationRequest.of(run, "buyer")));

        assertThat(result.isReserved()).isTrue();
        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 1));
    }
}
