package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.IDEMPOTENCY_KEY_CONFLICT;
import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.ReservationResult.Status.UNKNOWN_RESOURCE;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.CapacityException;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.testing.MutableClock;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code reserve(handle, ...)} and {@code release(handle, ...)} take part in the caller's
 * transaction: the reservation lands or vanishes with the caller's own rows, and no expected
 * answer leaves the transaction aborted (which PostgreSQL would do after a failed statement).
 */
@ExtendWith(LedgersAddUp.class)
final class JoinedTransactionTest {

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.onDatabases();
    }

    private static Jdbi jdbiWithOrders(StrategyFixture fixture) {
        Jdbi jdbi = fixture.jdbi();
        jdbi.useHandle(h -> h.execute(
                "CREATE TABLE IF NOT EXISTS test_order (id VARCHAR(100) PRIMARY KEY, reservation_id BIGINT NOT NULL)"));
        return jdbi;
    }

    private static void insertOrder(Handle handle, String orderId, long reservationId) {
        handle.createUpdate("INSERT INTO test_order (id, reservation_id) VALUES (:id, :reservation)")
                .bind("id", orderId).bind("reservation", reservationId).execute();
    }

    private static int orders(Jdbi jdbi, String orderId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM test_order WHERE id = :id")
                .bind("id", orderId).mapTo(Integer.class).one());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_callerCommits_reservationAndOrderLandTogether(StrategyFixture fixture) {
        Jdbi jdbi = jdbiWithOrders(fixture);
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        String order = newId("order");
        strategy.define(run, 3);

        ReservationResult result = jdbi.inTransaction(handle -> {
            ReservationResult r = strategy.reserve(handle, ReservationRequest.of(run, "buyer").withQuantity(2));
            insertOrder(handle, order, r.reservation().id());
            return r;
        });

        assertThat(result.status()).isEqualTo(RESERVED);
        assertThat(orders(jdbi, order)).isEqualTo(1);
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_callerRollsBack_nothingLands(StrategyFixture fixture) {
        Jdbi jdbi = jdbiWithOrders(fixture);
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        String order = newId("order");
        strategy.define(run, 3);

        assertThatThrownBy(() -> jdbi.useTransaction(handle -> {
            ReservationResult r = strategy.reserve(handle, ReservationRequest.of(run, "buyer").withIdempotencyKey(order));
            assertThat(r.status()).isEqualTo(RESERVED);
            insertOrder(handle, order, r.reservation().id());
            throw new IllegalStateException("payment declined");
        })).hasMessage("payment declined");

        assertThat(orders(jdbi, order)).isZero();
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 0));
        assertThat(fixture.ledger(run).reservationRows()).isZero();
        // the key was never used, so the request can succeed later
        assertThat(strategy.reserve(ReservationRequest.of(run, "buyer").withIdempotencyKey(order)).status())
                .isEqualTo(RESERVED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_expectedRefusals_leaveTheCallersTransactionUsable(StrategyFixture fixture) {
        Jdbi jdbi = jdbiWithOrders(fixture);
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        String full = newId("full");
        String order = newId("order");
        String key = newId("key");
        strategy.define(run, 5);
        strategy.define(full, 1);
        strategy.reserve(ReservationRequest.of(full, "first"));
        strategy.reserve(ReservationRequest.of(run, "h").withIdempotencyKey(key));

        List<ReservationResult> answers = jdbi.inTransaction(handle -> {
            ReservationResult insufficient = strategy.reserve(handle, ReservationRequest.of(full, "second"));
            ReservationResult unknown = strategy.reserve(handle, ReservationRequest.of(newId("missing"), "h"));
            ReservationResult conflict = strategy.reserve(handle,
                    ReservationRequest.of(run, "h").withQuantity(3).withIdempotencyKey(key));
            ReservationResult replayed = strategy.reserve(handle, ReservationRequest.of(run, "h").withIdempotencyKey(key));
            ReservationResult reserved = strategy.reserve(handle, ReservationRequest.of(run, "buyer").withQuantity(2));
            insertOrder(handle, order, reserved.reservation().id());
            return List.of(insufficient, unknown, conflict, replayed, reserved);
        });

        assertThat(answers).extracting(ReservationResult::status)
                .containsExactly(INSUFFICIENT_CAPACITY, UNKNOWN_RESOURCE, IDEMPOTENCY_KEY_CONFLICT, REPLAYED, RESERVED);
        assertThat(orders(jdbi, order)).isEqualTo(1);
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 3));
        assertThat(strategy.availability(full)).contains(new Availability(full, 1, 1));
        assertThat(fixture.ledger(run).reservationRows()).isEqualTo(2);
        assertThat(fixture.ledger(full).reservationRows()).isEqualTo(1);
    }

    // ---- orders

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserveAll_inTheCallersTransaction_landsWithTheOrderRowOrNotAtAll(StrategyFixture fixture) {
        Jdbi jdbi = jdbiWithOrders(fixture);
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String seats = newId("seats");
        String parking = newId("parking");
        String kept = newId("order");
        String dropped = newId("order");
        strategy.define(seats, 4);
        strategy.define(parking, 2);
        List<ReservationRequest> lines = List.of(ReservationRequest.of(seats, "ada").withQuantity(2),
                ReservationRequest.of(parking, "ada"));

        OrderResult refusedThenKept = jdbi.inTransaction(handle -> {
            OrderResult refused = strategy.reserveAll(handle, List.of(ReservationRequest.of(seats, "ada").withQuantity(5),
                    ReservationRequest.of(parking, "ada")));
            assertThat(refused.status()).isEqualTo(INSUFFICIENT_CAPACITY);
            OrderResult granted = strategy.reserveAll(handle, lines);
            insertOrder(handle, kept, granted.reservations().get(0).id());
            return granted;
        });
        assertThatThrownBy(() -> jdbi.useTransaction(handle -> {
            OrderResult granted = strategy.reserveAll(handle, lines);
            insertOrder(handle, dropped, granted.reservations().get(0).id());
            throw new IllegalStateException("payment declined");
        })).hasMessage("payment declined");

        assertThat(refusedThenKept.status()).isEqualTo(RESERVED);
        assertThat(orders(jdbi, kept)).isEqualTo(1);
        assertThat(orders(jdbi, dropped)).isZero();
        assertThat(strategy.availability(seats)).contains(new Availability(seats, 4, 2));
        assertThat(strategy.availability(parking)).contains(new Availability(parking, 2, 1));
        assertThat(fixture.ledger(seats).reservationRows()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void reserveAll_acrossFamilies_isOneStepThroughTheCallersTransaction(TestDatabase database) {
        JdbiReservationStrategy counter = StrategyFixture.of(StrategyKind.CONDITIONAL_UPDATE, database).jdbiStrategy();
        JdbiReservationStrategy slots = StrategyFixture.of(StrategyKind.UNIQUE_SLOTS, database).jdbiStrategy();
        String tickets = newId("tickets");
        String seats = newId("seats");
        counter.define(tickets, 10);
        slots.define(seats, 1);

        assertThatThrownBy(() -> counter.reserveAll(List.of(ReservationRequest.of(tickets, "ada"),
                ReservationRequest.of(seats, "ada")))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was defined for unique-slots");
        List<OrderResult> both = database.jdbi().inTransaction(handle -> List.of(
                counter.reserveAll(handle, List.of(ReservationRequest.of(tickets, "ada").withQuantity(2))),
                slots.reserveAll(handle, List.of(ReservationRequest.of(seats, "ada")))));
        List<OrderResult> second = new ArrayList<>();
        assertThatThrownBy(() -> database.jdbi().useTransaction(handle -> {
            second.add(counter.reserveAll(handle, List.of(ReservationRequest.of(tickets, "bob").withQuantity(2))));
            second.add(slots.reserveAll(handle, List.of(ReservationRequest.of(seats, "bob"))));
            if (!second.get(1).isReserved()) {
                throw new IllegalStateException("no seat: the whole order goes");
            }
        })).hasMessage("no seat: the whole order goes");

        assertThat(both).extracting(OrderResult::status).containsExactly(RESERVED, RESERVED);
        assertThat(second).extracting(OrderResult::status).containsExactly(RESERVED, INSUFFICIENT_CAPACITY);
        assertThat(counter.availability(tickets)).as("bob's tickets rolled back with his seat")
                .contains(new Availability(tickets, 10, 2));
        assertThat(slots.availability(seats)).contains(new Availability(seats, 1, 1));
    }

    static Stream<TestDatabase> databases() {
        return Stream.of(TestDatabase.values());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_sameKeyTwiceInOneTransaction_isReplayed(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        strategy.define(run, 5);
        ReservationRequest request = ReservationRequest.of(run, "h").withIdempotencyKey(newId("key"));

        List<ReservationResult> answers = fixture.jdbi().inTransaction(handle ->
                List.of(strategy.reserve(handle, request), strategy.reserve(handle, request)));

        assertThat(answers).extracting(ReservationResult::status).containsExactly(RESERVED, REPLAYED);
        assertThat(answers.get(1).reservation()).isEqualTo(answers.get(0).reservation());
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_callerRollsBack_unitsStayReserved(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        strategy.define(run, 2);
        Reservation held = strategy.reserve(ReservationRequest.of(run, "h")).reservation();

        assertThatThrownBy(() -> fixture.jdbi().useTransaction(handle -> {
            assertThat(strategy.release(handle, held.id())).isTrue();
            throw new IllegalStateException("changed my mind");
        })).hasMessage("changed my mind");

        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 1));
        boolean released = fixture.jdbi().inTransaction(handle -> strategy.release(handle, held.id()));
        assertThat(released).isTrue();
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 0));
        assertThat(strategy.release(held.id())).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_handleOutsideATransaction_commitsOnItsOwn(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        strategy.define(run, 2);

        ReservationResult result = fixture.jdbi().withHandle(handle -> {
            ReservationResult r = strategy.reserve(handle, ReservationRequest.of(run, "h"));
            assertThat(handle.isInTransaction()).isFalse();
            return r;
        });

        assertThat(result.status()).isEqualTo(RESERVED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 1));
        boolean released = fixture.jdbi().withHandle(handle -> strategy.release(handle, result.reservation().id()));
        assertThat(released).isTrue();
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 0));
    }

    /** The databases where a caller's transaction has a lock timeout of its own: PostgreSQL's and InnoDB's. */
    static Stream<StrategyFixture> lockTimeoutFixtures() {
        return StrategyFixture.onDatabases()
                .filter(f -> f.database() == TestDatabase.POSTGRES || f.database() == TestDatabase.MARIADB);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lockTimeoutFixtures")
    void reserve_inTheCallersTransaction_leavesItsLockTimeoutAsItWas(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        strategy.define(run, 2);
        boolean postgres = fixture.database() == TestDatabase.POSTGRES;

        String after = fixture.jdbi().withHandle(handle -> {
            try {
                return handle.inTransaction(h -> {
                    // MariaDB has no transaction-scoped setting: the session's, put back below
                    h.execute(postgres ? "SET LOCAL lock_timeout = '1234ms'" : "SET SESSION innodb_lock_wait_timeout = 1234");
                    assertThat(strategy.reserve(h, ReservationRequest.of(run, "h")).status()).isEqualTo(RESERVED);
                    return h.createQuery(postgres ? "SHOW lock_timeout" : "SELECT @@innodb_lock_wait_timeout")
                            .mapTo(String.class).one();
                });
            } finally {
                if (!postgres) {
                    handle.execute("SET SESSION innodb_lock_wait_timeout = DEFAULT");
                }
            }
        });

        assertThat(after).isEqualTo(postgres ? "1234ms" : "1234");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void adjust_inTheCallersTransaction_landsOrVanishesWithIt(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        String run = newId("run");
        strategy.define(run, 10);

        assertThatThrownBy(() -> fixture.jdbi().useTransaction(handle -> {
            assertThat(strategy.adjust(handle, run, 5)).isEqualTo(15);
            throw new IllegalStateException("changed my mind");
        })).hasMessage("changed my mind");
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 0));

        long capacity = fixture.jdbi().inTransaction(handle -> strategy.adjust(handle, run, 5));
        assertThat(capacity).isEqualTo(15);
        assertThat(strategy.availability(run)).contains(new Availability(run, 15, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_losingALockRaceInTheCallersTransaction_undoesItselfAndLeavesTheTransactionUsable(StrategyFixture fixture) {
        Jdbi jdbi = jdbiWithOrders(fixture);
        JdbiReservationStrategy strategy = (JdbiReservationStrategy) fixture.strategy(
                StrategyOptions.builder().lockTimeout(Duration.ofMillis(200)).build());
        String run = newId("run");
        String order = newId("order");
        strategy.define(run, 3);
        long reservation = strategy.reserve(ReservationRequest.of(run, "buyer")).reservation().id();
        TestDatabase database = fixture.database();
        boolean postgres = database == TestDatabase.POSTGRES;
        boolean mariaDb = database == TestDatabase.MARIADB;

        try (Handle blocker = jdbi.open()) {
            blocker.begin();
            blocker.createQuery("SELECT capacity FROM capacity_resource WHERE id = :id FOR UPDATE").bind("id", run)
                    .mapTo(Long.class).one();
            jdbi.useHandle(handle -> {
                int h2Timeout = postgres || mariaDb ? 0 : handle.createQuery("SELECT LOCK_TIMEOUT()").mapTo(Integer.class).one();
                // InnoDB counts whole seconds
                handle.execute(postgres ? "SET lock_timeout = '200ms'"
                        : mariaDb ? "SET SESSION innodb_lock_wait_timeout = 1" : "SET LOCK_TIMEOUT 200");
                try {
                    handle.useTransaction(h -> {
                        assertThatThrownBy(() -> strategy.release(h, reservation))
                                .isInstanceOf(CapacityException.class).hasMessageContaining("caller's transaction");
                        // the transaction goes on, and what the release had done is undone
                        insertOrder(h, order, reservation);
                    });
                } finally {
                    handle.execute(postgres ? "RESET lock_timeout"
                            : mariaDb ? "SET SESSION innodb_lock_wait_timeout = DEFAULT" : "SET LOCK_TIMEOUT " + h2Timeout);
                }
            });
            blocker.rollback();
        }

        assertThat(orders(jdbi, order)).isEqualTo(1);
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 1));
        assertThat(fixture.ledger(run).releasedRows()).isZero();
        assertThat(strategy.release(reservation)).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void confirm_inTheCallersTransaction_landsWithTheOrderOrNotAtAll(StrategyFixture fixture) {
        Jdbi jdbi = jdbiWithOrders(fixture);
        MutableClock clock = MutableClock.start();
        JdbiReservationStrategy strategy = (JdbiReservationStrategy) fixture.strategy(
                StrategyOptions.builder().clock(clock).build());
        String run = newId("run");
        String paid = newId("order");
        String declined = newId("order");
        strategy.define(run, 2);
        long first = strategy.reserve(ReservationRequest.of(run, "ada").withHold(Duration.ofMinutes(10))).reservation().id();
        long second = strategy.reserve(ReservationRequest.of(run, "bob").withHold(Duration.ofMinutes(10))).reservation().id();

        HoldStatus confirmed = jdbi.inTransaction(handle -> {
            HoldStatus status = strategy.confirm(handle, first);
            insertOrder(handle, paid, first);
            return status;
        });
        assertThatThrownBy(() -> jdbi.useTransaction(handle -> {
            assertThat(strategy.confirm(handle, second)).isEqualTo(HoldStatus.CONFIRMED);
            insertOrder(handle, declined, second);
            throw new IllegalStateException("payment declined");
        })).hasMessage("payment declined");

        assertThat(confirmed).isEqualTo(HoldStatus.CONFIRMED);
        assertThat(orders(jdbi, paid)).isEqualTo(1);
        assertThat(orders(jdbi, declined)).isZero();
        assertThat(strategy.availability(run)).as("the rolled-back confirm left a hold").contains(new Availability(run, 2, 2, 1));
        clock.advance(Duration.ofMinutes(10));
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 1, 0));
        HoldStatus late = jdbi.inTransaction(handle -> strategy.confirm(handle, second));
        assertThat(late).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.confirm(first)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
    }
}
