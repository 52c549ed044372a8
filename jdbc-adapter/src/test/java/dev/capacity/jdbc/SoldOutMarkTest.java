package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.OrderResult;
import dev.capacity.ReservationListener;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.DelegatingDataSource;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.LockWaits;
import dev.capacity.jdbc.testing.Pause;
import dev.capacity.jdbc.testing.PausingDataSource;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.jdbc.testing.Waits;
import dev.capacity.testing.MutableClock;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * unique-slots' sold-out mark: the first refusal that finds no slot free marks the resource, later
 * refusals read the mark instead of walking every slot, and nothing that frees a slot leaves a
 * mark behind. A mark left behind is a resource that refuses with a slot free (undersold): each
 * test that frees a slot ends with a reserve that must be granted.
 *
 * <p>The last two tests stop one call at a chosen statement while the other runs, for the two
 * ways a release and the marking refusal can cross: the release began before the mark and frees
 * its slot after it (it must clear the mark), and the mark is made after the release committed
 * behind the refusal's walk (the mark must not stand).
 */
@ExtendWith(LedgersAddUp.class)
final class SoldOutMarkTest {

    private static final Duration TTL = Duration.ofMinutes(1);

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void firstRefusalOfAFullResource_marksIt_andLaterRefusalsReadNoSlot(TestDatabase database) {
        PausingDataSource source = PausingDataSource.of(database);
        try (JdbiReservationStrategy strategy = slots(source, MutableClock.start())) {
            String run = full(strategy, 3);
            assertThat(marked(database, run)).as("full, but nothing refused yet").isFalse();

            ReservationResult first = strategy.reserve(ReservationRequest.of(run, "late"));
            assertThat(first.status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(first.available()).isZero();
            assertThat(marked(database, run)).as("marked by the first refusal").isTrue();

            source.takeStatements();
            ReservationResult second = strategy.reserve(ReservationRequest.of(run, "later"));
            assertThat(second.status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(second.available()).isZero();
            List<String> statements = source.takeStatements();
            assertThat(statements).as("the second refusal reads the mark and walks no slot")
                    .isNotEmpty().noneMatch(sql -> sql.contains("capacity_slot"));
            assertThat(strategy.availability(run).orElseThrow().available()).isZero();
        }
    }

    /** The mark costs the grant path nothing, and a release only a read while no mark is set. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void grantsAndReleasesOfAResourceWithRoom_writeNoMark(TestDatabase database) {
        PausingDataSource source = PausingDataSource.of(database);
        try (JdbiReservationStrategy strategy = slots(source, MutableClock.start())) {
            String run = newId("run");
            strategy.define(run, 2);
            source.takeStatements();
            long a = strategy.reserve(ReservationRequest.of(run, "a")).reservation().id();
            strategy.reserve(ReservationRequest.of(run, "b").withHold(TTL));
            assertThat(strategy.release(a)).isTrue();
            assertThat(source.takeStatements()).as("statements of two grants and a release")
                    .isNotEmpty().noneMatch(sql -> sql.contains("SET sold_out"));
            assertThat(marked(database, run)).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void release_clearsTheMark_andTheSlotIsSoldAgain(TestDatabase database) {
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), MutableClock.start())) {
            String run = newId("run");
            strategy.define(run, 2);
            strategy.reserve(ReservationRequest.of(run, "a"));
            long b = strategy.reserve(ReservationRequest.of(run, "b")).reservation().id();
            refuseAndMark(database, strategy, run);

            assertThat(strategy.release(b)).isTrue();
            assertThat(marked(database, run)).as("cleared by the release").isFalse();
            assertThat(strategy.reserve(ReservationRequest.of(run, "c")).status()).isEqualTo(Status.RESERVED);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void holdExpiredUnderTheMark_isNotRefused(TestDatabase database) {
        MutableClock clock = MutableClock.start();
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), clock)) {
            String run = newId("run");
            strategy.define(run, 1);
            strategy.reserve(ReservationRequest.of(run, "cart").withHold(TTL));
            refuseAndMark(database, strategy, run);

            clock.advance(TTL);
            assertThat(strategy.reserve(ReservationRequest.of(run, "next")).status())
                    .as("the only slot is an expired hold's").isEqualTo(Status.RESERVED);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void holdExtendedToExpireSoonerUnderTheMark_isNotRefusedOnceExpired(TestDatabase database) {
        MutableClock clock = MutableClock.start();
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), clock)) {
            String run = newId("run");
            strategy.define(run, 1);
            long hold = strategy.reserve(ReservationRequest.of(run, "cart").withHold(TTL.multipliedBy(10))).reservation().id();
            refuseAndMark(database, strategy, run);

            strategy.extend(hold, TTL);
            clock.advance(TTL);
            assertThat(strategy.reserve(ReservationRequest.of(run, "next")).status()).isEqualTo(Status.RESERVED);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void growth_clearsTheMark(TestDatabase database) {
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), MutableClock.start())) {
            String run = full(strategy, 1);
            refuseAndMark(database, strategy, run);

            strategy.resize(run, 2);
            assertThat(marked(database, run)).isFalse();
            assertThat(strategy.reserve(ReservationRequest.of(run, "next")).status()).isEqualTo(Status.RESERVED);
        }
    }

    /** A full resource shrunk is still full: the mark stays, and an adjustment that grows it clears it. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void shrink_keepsTheMark_andGrowthByAdjustment_clearsIt(TestDatabase database) {
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), MutableClock.start())) {
            String run = full(strategy, 2);
            refuseAndMark(database, strategy, run);

            strategy.resize(run, 1);
            assertThat(marked(database, run)).isTrue();
            assertThat(strategy.reserve(ReservationRequest.of(run, "refused")).status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
            strategy.adjust(run, 2);
            assertThat(marked(database, run)).isFalse();
            assertThat(strategy.reserve(ReservationRequest.of(run, "next")).status()).isEqualTo(Status.RESERVED);
        }
    }

    /** An orphan slot fills the resource and a refusal marks it; the repair deletes the orphan and must clear the mark. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void repairThatFreesASlot_clearsTheMark(TestDatabase database) {
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), MutableClock.start())) {
            String run = newId("run");
            strategy.define(run, 2);
            strategy.reserve(ReservationRequest.of(run, "a"));
            database.jdbi().useHandle(h -> {
                long taken = h.createQuery("SELECT slot FROM capacity_slot WHERE resource_id = :id").bind("id", run)
                        .mapTo(Long.class).one();
                h.createUpdate("INSERT INTO capacity_slot (resource_id, slot, reservation_id) VALUES (:id, :slot, -1)")
                        .bind("id", run).bind("slot", 1 - taken).execute();
            });
            refuseAndMark(database, strategy, run);

            assertThat(CapacityAudit.of(database.jdbi()).repair(run).changes()).isNotEmpty();
            assertThat(marked(database, run)).as("cleared by the repair that deleted the orphan").isFalse();
            assertThat(strategy.reserve(ReservationRequest.of(run, "b")).status()).isEqualTo(Status.RESERVED);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void repeatOfAGrantedRequest_isReplayedUnderTheMark(TestDatabase database) {
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), MutableClock.start())) {
            String run = newId("run");
            strategy.define(run, 1);
            ReservationRequest request = ReservationRequest.of(run, "ada").withIdempotencyKey(newId("key"));
            long id = strategy.reserve(request).reservation().id();
            refuseAndMark(database, strategy, run);

            ReservationResult again = strategy.reserve(request);
            assertThat(again.status()).isEqualTo(Status.REPLAYED);
            assertThat(again.reservation().id()).isEqualTo(id);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void refusalInTheCallersTransaction_marksOnceTheCallerCommits_andLaterRefusalsReadNoSlot(TestDatabase database) {
        PausingDataSource source = PausingDataSource.of(database);
        List<String> soldOut = new CopyOnWriteArrayList<>();
        ReservationListener listener = new ReservationListener() {
            @Override
            public void onSoldOut(String strategy, String resourceId) {
                soldOut.add(resourceId);
            }
        };
        try (JdbiReservationStrategy strategy = JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, source,
                StrategyOptions.builder().clock(MutableClock.start()).listener(listener).build())) {
            String run = full(strategy, 3);
            Jdbi caller = Jdbi.create(source);
            try (Handle handle = caller.open()) {
                handle.begin();
                ReservationResult refused = strategy.reserve(handle, ReservationRequest.of(run, "late"));
                assertThat(refused.status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
                assertThat(refused.available()).isZero();
                assertThat(marked(database, run)).as("a mark would hold releases up until the caller commits").isFalse();
                handle.commit();
            }
            assertThat(marked(database, run)).as("marked once the caller committed").isTrue();
            assertThat(soldOut).as("the sell-out is told once, by the mark").containsExactly(run);

            source.takeStatements();
            ReservationResult later = caller.inTransaction(
                    handle -> strategy.reserve(handle, ReservationRequest.of(run, "later")));
            assertThat(later.status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(source.takeStatements()).as("the later refusal reads the mark: it walks no slot and marks nothing")
                    .isNotEmpty().noneMatch(sql -> sql.contains("capacity_slot") || sql.contains("SET sold_out"));
            assertThat(soldOut).containsExactly(run);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void refusalInACallersTransactionThatRollsBack_marksNothing(TestDatabase database) {
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), MutableClock.start())) {
            String run = full(strategy, 1);
            try (Handle handle = database.jdbi().open()) {
                handle.begin();
                assertThat(strategy.reserve(handle, ReservationRequest.of(run, "late")).status())
                        .isEqualTo(Status.INSUFFICIENT_CAPACITY);
                handle.rollback();
            }
            assertThat(marked(database, run)).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void orderRefusedOnAFullResource_marksIt_andLaterOrdersReadNoSlot(TestDatabase database) {
        PausingDataSource source = PausingDataSource.of(database);
        try (JdbiReservationStrategy strategy = slots(source, MutableClock.start())) {
            String run = full(strategy, 3);
            OrderResult first = strategy.reserveAll(List.of(ReservationRequest.of(run, "late")));
            assertThat(first.status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(marked(database, run)).as("marked after the order's transaction, which its refusal rolled back")
                    .isTrue();

            source.takeStatements();
            assertThat(strategy.reserveAll(List.of(ReservationRequest.of(run, "later"))).status())
                    .isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(source.takeStatements()).as("the later order reads the mark: it walks no slot and marks nothing")
                    .isNotEmpty().noneMatch(sql -> sql.contains("capacity_slot") || sql.contains("SET sold_out"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void orderRefusedInTheCallersTransaction_marksOnceTheCallerCommits(TestDatabase database) {
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), MutableClock.start())) {
            String run = full(strategy, 1);
            try (Handle handle = database.jdbi().open()) {
                handle.begin();
                assertThat(strategy.reserveAll(handle, List.of(ReservationRequest.of(run, "late"))).status())
                        .isEqualTo(Status.INSUFFICIENT_CAPACITY);
                assertThat(marked(database, run)).as("not before the caller commits").isFalse();
                handle.commit();
            }
            assertThat(marked(database, run)).isTrue();
        }
    }

    /**
     * A slot freed between the caller's refusal and its commit (here by a release the caller
     * asked to run after its commit, before the mark's): the mark counts the slots again and is
     * not made, and the freed slot is sold.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void slotFreedBeforeTheCallersMark_keepsTheMarkFromBeingMade(TestDatabase database) {
        try (JdbiReservationStrategy strategy = slots(PausingDataSource.of(database), MutableClock.start())) {
            Taken taken = oneSlotTaken(strategy);
            try (Handle handle = database.jdbi().open()) {
                handle.begin();
                handle.afterCommit(() -> assertThat(strategy.release(taken.reservation())).isTrue());
                assertThat(strategy.reserve(handle, ReservationRequest.of(taken.run(), "late")).status())
                        .isEqualTo(Status.INSUFFICIENT_CAPACITY);
                handle.commit();
            }
            assertThat(marked(database, taken.run())).as("the slot was free when the mark was to be made").isFalse();
            assertThat(strategy.reserve(ReservationRequest.of(taken.run(), "b")).status()).isEqualTo(Status.RESERVED);
        }
    }

    /**
     * A release in flight holds the row in the mode a mark waits for. The mark asked for by a
     * refusal in the caller's transaction waits at most the lock timeout, once, and gives up: the
     * caller's commit returns, nothing is marked. (The retry budget is longer than the test waits:
     * a mark that retried would keep the commit from returning.)
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestDatabase.class, names = {"POSTGRES", "MARIADB"})
    void markAfterTheCallersCommit_givesUpOnARowHeldBeyondTheLockTimeout(TestDatabase database) throws Exception {
        try (JdbiReservationStrategy strategy = JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, PausingDataSource.of(database),
                StrategyOptions.builder().clock(MutableClock.start()).lockTimeout(Duration.ofMillis(300))
                        .maxRetryTime(Duration.ofSeconds(60)).build());
             Handle releasing = database.jdbi().open()) {
            String run = full(strategy, 1);
            releasing.begin();
            releasing.createQuery("SELECT capacity FROM capacity_resource WHERE id = :id"
                            + (database == TestDatabase.POSTGRES ? " FOR SHARE" : " LOCK IN SHARE MODE"))
                    .bind("id", run).mapTo(Long.class).one();

            CompletableFuture<ReservationResult> refused = CompletableFuture.supplyAsync(() -> database.jdbi().inTransaction(
                    handle -> strategy.reserve(handle, ReservationRequest.of(run, "late"))));
            assertThat(refused.get(Pause.WAIT_SECONDS, TimeUnit.SECONDS).status()).as("the caller's commit returned")
                    .isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(marked(database, run)).isFalse();
            releasing.rollback();
        }
    }

    /**
     * The caller, at REPEATABLE READ, is refused while a release holds its lock with its slot not
     * yet freed; after the caller's commit the mark waits for that lock, and the release frees the
     * slot and commits meanwhile. The mark counts at READ COMMITTED and sees the free slot: no
     * mark. (Counted in the caller's snapshot, it would see the slot taken and mark over it.)
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestDatabase.class, names = {"POSTGRES"})
    void releaseCommittedWhileTheCallersMarkWaits_keepsTheMarkFromBeingMade_atRepeatableRead(TestDatabase database)
            throws Exception {
        PausingDataSource source = PausingDataSource.of(database);
        // a lock timeout longer than any stall: the mark must wait for the release and count after it
        try (JdbiReservationStrategy strategy = JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, source,
                StrategyOptions.builder().clock(MutableClock.start()).lockTimeout(Duration.ofSeconds(60)).build());
             Handle caller = database.jdbi().open()) {
            Taken taken = oneSlotTaken(strategy);
            String run = taken.run();
            long callerSession = caller.createQuery("SELECT pg_backend_pid()").mapTo(Long.class).one();
            Pause beforeFreeing = source.pause(sql -> sql.startsWith("DELETE FROM capacity_slot"));
            CompletableFuture<Boolean> release = beforeFreeing.start(() -> strategy.release(taken.reservation()));
            beforeFreeing.awaitReached();

            CompletableFuture<ReservationResult> refused = CompletableFuture.supplyAsync(() -> caller.inTransaction(
                    TransactionIsolationLevel.REPEATABLE_READ, handle -> strategy.reserve(handle, ReservationRequest.of(run, "late"))));
            Waits.until(LockWaits.session(database, callerSession));
            beforeFreeing.resume();
            assertThat(release.get(Pause.WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(refused.get(Pause.WAIT_SECONDS, TimeUnit.SECONDS).status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);

            assertThat(marked(database, run)).as("the slot was freed before the mark counted").isFalse();
            assertThat(strategy.reserve(ReservationRequest.of(run, "next")).status()).isEqualTo(Status.RESERVED);
        }
    }

    /**
     * The strategy's own transactions at REPEATABLE READ (a pool that hands connections out so):
     * the refusal's snapshot is taken before a release commits, and its walk sees the released
     * slot taken. Counted in that snapshot, a mark would stand over the free slot; so above READ
     * COMMITTED the mark is made after the transaction, at READ COMMITTED, and here not at all.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestDatabase.class, names = {"POSTGRES"})
    void refusalAtRepeatableRead_marksAfterItsTransaction_notOverTheSlotReleasedBehindItsSnapshot(TestDatabase database)
            throws Exception {
        database.jdbi();
        PausingDataSource source = new PausingDataSource(new RepeatableRead(database.pool().dataSource()));
        try (JdbiReservationStrategy strategy = slots(source, MutableClock.start())) {
            Taken taken = oneSlotTaken(strategy);
            String run = taken.run();
            ReservationResult late = lateReserveWithTheSlotReleasedBefore(source, strategy, taken,
                    sql -> sql.contains("FROM capacity_slot"));

            assertThat(late.status()).as("its snapshot predates the release").isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(marked(database, run)).as("counted after the transaction, at READ COMMITTED: the slot is free")
                    .isFalse();
            assertThat(strategy.reserve(ReservationRequest.of(run, "next")).status()).isEqualTo(Status.RESERVED);

            assertThat(strategy.reserve(ReservationRequest.of(run, "later")).status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(marked(database, run)).as("sold out again: marked after the refusal's transaction").isTrue();
        }
    }

    /** Connections at REPEATABLE READ; the pool sets its own level back when one is given back. */
    private static final class RepeatableRead extends DelegatingDataSource {
        RepeatableRead(DataSource delegate) {
            super(delegate);
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = realConnection();
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            return c;
        }
    }

    /**
     * The release clears the (absent) mark and stops before taking its lock; the refusal walks,
     * marks and commits; then the release takes its lock, finds the mark and must start over (and
     * clear it), or its slot stays free behind a mark.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void releaseThatBeganBeforeTheMark_clearsIt(TestDatabase database) throws Exception {
        releaseThatBeganBeforeTheMark(database, (strategy, caller, reservation) -> strategy.release(reservation));
    }

    /**
     * {@link #releaseThatBeganBeforeTheMark_clearsIt} with the release in the caller's transaction:
     * it finds the mark under its lock, goes back to its savepoint and starts over (the caller's
     * transaction reads fresh data), clearing the mark; before 2026-12-01 it gave up and threw.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void releaseInTheCallersTransactionThatBeganBeforeTheMark_startsOverAndClearsIt(TestDatabase database)
            throws Exception {
        releaseThatBeganBeforeTheMark(database, (strategy, caller, reservation) ->
                caller.inTransaction(h -> strategy.release(h, reservation)));
    }

    /** How a test releases: through {@code strategy}, or in a transaction of {@code caller} (on the pausing source). */
    @FunctionalInterface
    private interface Release {
        boolean release(JdbiReservationStrategy strategy, Jdbi caller, long reservation);
    }

    private static void releaseThatBeganBeforeTheMark(TestDatabase database, Release how) throws Exception {
        PausingDataSource source = PausingDataSource.of(database);
        try (JdbiReservationStrategy strategy = slots(source, MutableClock.start())) {
            Taken taken = oneSlotTaken(strategy);
            String run = taken.run();
            Jdbi caller = Jdbi.create(source);

            Pause beforeLock = source.pause(sql -> sql.startsWith("SELECT family, capacity"));
            CompletableFuture<Boolean> release = beforeLock.start(() -> how.release(strategy, caller, taken.reservation()));
            beforeLock.awaitReached();
            assertThat(strategy.reserve(ReservationRequest.of(run, "late")).status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
            assertThat(marked(database, run)).as("marked while the release waits").isTrue();
            beforeLock.resume();
            assertThat(release.get(Pause.WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

            assertThat(marked(database, run)).as("the release cleared the mark made behind it").isFalse();
            assertThat(strategy.reserve(ReservationRequest.of(run, "next")).status())
                    .as("the released slot is free").isEqualTo(Status.RESERVED);
        }
    }

    /**
     * The refusal's walk finds no slot and it stops before marking; a release commits; then the
     * refusal marks, and must count again under the mark's lock and start over, or it marks a
     * resource with a free slot. Not on H2, whose exclusive resource lock makes the release wait
     * for the refusal.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestDatabase.class, names = {"POSTGRES", "MARIADB"})
    void releaseCommittedBehindTheWalk_keepsTheMarkFromStanding(TestDatabase database) throws Exception {
        PausingDataSource source = PausingDataSource.of(database);
        try (JdbiReservationStrategy strategy = slots(source, MutableClock.start())) {
            Taken taken = oneSlotTaken(strategy);
            String run = taken.run();
            ReservationResult late = lateReserveWithTheSlotReleasedBefore(source, strategy, taken,
                    sql -> sql.contains("SET sold_out = TRUE"));

            assertThat(late.status()).as("the slot was free before the mark was made").isEqualTo(Status.RESERVED);
            assertThat(marked(database, run)).isFalse();
        }
    }

    /**
     * A hold fills the resource, a refusal marks it, the hold expires. A reserve reads the mark
     * with its share lock and stops before it looks for expired holds; a late release ends the
     * hold by expiry, frees its slot and clears the mark, and commits; then the reserve looks. If it read the
     * mark and the holds in two snapshots, it found the mark set and no expired hold, and refused
     * with a slot free (found by the race harness's checkout race on PostgreSQL, 2026-12-01). Not
     * on H2 and MariaDB, whose share lock makes the release's clearing wait for the reserve.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestDatabase.class, names = {"POSTGRES"})
    void expiryCommittedBetweenTheMarkAndTheExpiredHolds_isSeen(TestDatabase database) throws Exception {
        PausingDataSource source = PausingDataSource.of(database);
        MutableClock clock = MutableClock.start();
        try (JdbiReservationStrategy strategy = slots(source, clock)) {
            String run = newId("run");
            strategy.define(run, 1);
            long hold = strategy.reserve(ReservationRequest.of(run, "cart").withHold(TTL)).reservation().id();
            refuseAndMark(database, strategy, run);
            clock.advance(TTL);

            Pause beforeHolds = source.pause(sql -> sql.contains("expires_at <= ?"));
            CompletableFuture<ReservationResult> reserve = beforeHolds.start(
                    () -> strategy.reserve(ReservationRequest.of(run, "next")));
            beforeHolds.awaitReached();
            assertThat(strategy.release(hold)).as("ended by its expiry, not released").isFalse();
            assertThat(marked(database, run)).as("the expiry cleared the mark").isFalse();
            beforeHolds.resume();

            assertThat(reserve.get(Pause.WAIT_SECONDS, TimeUnit.SECONDS).status())
                    .as("the expired hold's slot was free").isEqualTo(Status.RESERVED);
        }
    }

    private static JdbiReservationStrategy slots(PausingDataSource source, MutableClock clock) {
        return JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, source, StrategyOptions.builder().clock(clock).build());
    }

    /** A resource and the reservation that holds its only slot. */
    private record Taken(String run, long reservation) {}

    private static Taken oneSlotTaken(JdbiReservationStrategy strategy) {
        String run = newId("run");
        strategy.define(run, 1);
        return new Taken(run, strategy.reserve(ReservationRequest.of(run, "a")).reservation().id());
    }

    /**
     * A reserve of the taken resource, stopped before its first statement that {@code stopAt}
     * accepts while the only slot's reservation is released and committed; its answer.
     */
    private static ReservationResult lateReserveWithTheSlotReleasedBefore(PausingDataSource source,
            JdbiReservationStrategy strategy, Taken taken, Predicate<String> stopAt) throws Exception {
        Pause pause = source.pause(stopAt);
        CompletableFuture<ReservationResult> reserve = pause.start(
                () -> strategy.reserve(ReservationRequest.of(taken.run(), "late")));
        pause.awaitReached();
        assertThat(strategy.release(taken.reservation())).isTrue();
        pause.resume();
        return reserve.get(Pause.WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** A new resource of {@code capacity} with every slot taken by one reservation; its id. */
    private static String full(JdbiReservationStrategy strategy, int capacity) {
        String run = newId("run");
        strategy.define(run, capacity);
        assertThat(strategy.reserve(ReservationRequest.of(run, "all").withQuantity(capacity)).status())
                .isEqualTo(Status.RESERVED);
        return run;
    }

    private static void refuseAndMark(TestDatabase database, JdbiReservationStrategy strategy, String run) {
        assertThat(strategy.reserve(ReservationRequest.of(run, "late")).status()).isEqualTo(Status.INSUFFICIENT_CAPACITY);
        assertThat(marked(database, run)).as("marked by the refusal").isTrue();
    }

    private static boolean marked(TestDatabase database, String run) {
        return database.jdbi().withHandle(handle -> handle.createQuery(
                "SELECT sold_out FROM capacity_resource WHERE id = :id").bind("id", run).mapTo(Boolean.class).one());
    }
}
