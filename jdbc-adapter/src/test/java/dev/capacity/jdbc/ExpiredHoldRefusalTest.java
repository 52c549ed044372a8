package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.Pause;
import dev.capacity.jdbc.testing.PausingDataSource;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.testing.MutableClock;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A reservation refused while the only units in its way were an expired hold that another call
 * ended by expiry meanwhile (a release or a confirm after the expiry, which gives the units back
 * and takes none). The contract: an expired hold never causes a refusal. Each test stops the
 * reserving thread at one statement, lets the other call end the hold and commit, then lets the
 * reserve go on; it must be granted, for at no instant was the unit taken by anything live.
 *
 * <p>Found by the race harness's checkout scenario ({@code RaceHarnessTest}), which reported such
 * refusals as "undersold ... and holds of N more had expired by its clock". These tests FAIL
 * today: the refusal decides on the counter (or slot count) read before the other call
 * committed, then finds no expired hold left ({@code anyExpiredHold}) because that call ended
 * it, and refuses.
 *
 * <p>pessimistic-lock is not here: its reserve locks the resource row, so the other call's end
 * of the hold waits for it (and unique-slots on H2, whose resource lock is exclusive there).
 */
@ExtendWith(LedgersAddUp.class)
final class ExpiredHoldRefusalTest {

    private static final Duration TTL = Duration.ofMinutes(1);
    private static final long WAIT_SECONDS = Pause.WAIT_SECONDS;

    /** The reclaim's locking read of the expired holds. */
    private static final Predicate<String> RECLAIM = sql -> sql.contains("SKIP LOCKED");
    /** The check, before a refusal, that no expired hold is still counted. */
    private static final Predicate<String> ANY_EXPIRED = sql -> sql.startsWith("SELECT 1 FROM") && sql.contains("expires_at <=");

    static Stream<Arguments> readsTheCounterBeforeReclaiming() {
        return Stream.of(StrategyKind.OPTIMISTIC_VERSION, StrategyKind.CONDITIONAL_UPDATE, StrategyKind.COMBINING)
                .flatMap(kind -> Stream.of(TestDatabase.H2_MEM, TestDatabase.POSTGRES, TestDatabase.MARIADB)
                        .map(db -> Arguments.of(kind, db)));
    }

    static Stream<Arguments> skipsTheLockedHold() {
        return Stream.of(Arguments.of(StrategyKind.OPTIMISTIC_VERSION, TestDatabase.H2_MEM),
                Arguments.of(StrategyKind.OPTIMISTIC_VERSION, TestDatabase.POSTGRES),
                Arguments.of(StrategyKind.UNIQUE_SLOTS, TestDatabase.POSTGRES),
                Arguments.of(StrategyKind.OPTIMISTIC_VERSION, TestDatabase.MARIADB),
                Arguments.of(StrategyKind.UNIQUE_SLOTS, TestDatabase.MARIADB));
    }

    /**
     * The reserve reads the counter (the expired hold's unit in it) and finds no room; before its
     * reclaim locks the expired holds, a release ends the hold by expiry and commits; the reclaim
     * finds nothing, the check finds no expired hold, and the reserve refuses on the counter it read.
     */
    @ParameterizedTest(name = "{0} @ {1}")
    @MethodSource("readsTheCounterBeforeReclaiming")
    void reserve_holdEndedByExpiryBeforeTheReclaim_isGranted(StrategyKind kind, TestDatabase database) throws Exception {
        MutableClock clock = MutableClock.start();
        PausingDataSource source = source(database);
        try (JdbiReservationStrategy strategy = JdbiStrategies.of(kind, source, StrategyOptions.builder().clock(clock).build())) {
            String run = newId("run");
            long hold = expiredHold(strategy, run, clock);

            Pause reclaim = source.pause(RECLAIM);
            CompletableFuture<ReservationResult> reserve = reclaim.start(() -> strategy.reserve(ReservationRequest.of(run, "ada")));
            reclaim.awaitReached();
            assertThat(strategy.release(hold)).as("the release after the expiry ends the hold by expiry").isFalse();
            reclaim.resume();

            assertThat(reserve.get(WAIT_SECONDS, TimeUnit.SECONDS).status())
                    .as("%s @ %s: the only unit was the expired hold's, back since before the reserve began", kind, database)
                    .isEqualTo(ReservationResult.Status.RESERVED);
        }
    }

    /**
     * A release ends the hold by expiry and stops before its COMMIT, holding the hold's row; the
     * reserve finds no room, its reclaim skips the locked hold, and it counts the occupied units
     * (the release's change not visible yet); then the release commits, and the check before the
     * refusal finds no expired hold left, so the reserve refuses on the count it read before.
     */
    @ParameterizedTest(name = "{0} @ {1}")
    @MethodSource("skipsTheLockedHold")
    void reserve_holdEndedByExpiryCommittedBeforeTheRefusal_isGranted(StrategyKind kind, TestDatabase database)
            throws Exception {
        MutableClock clock = MutableClock.start();
        PausingDataSource source = source(database);
        try (JdbiReservationStrategy strategy = JdbiStrategies.of(kind, source, StrategyOptions.builder().clock(clock).build())) {
            String run = newId("run");
            long hold = expiredHold(strategy, run, clock);

            Pause commit = source.pauseAtCommit();
            CompletableFuture<Boolean> release = commit.start(() -> strategy.release(hold));
            commit.awaitReached();
            Pause check = source.pause(ANY_EXPIRED);
            CompletableFuture<ReservationResult> reserve = check.start(() -> strategy.reserve(ReservationRequest.of(run, "ada")));
            check.awaitReached();
            commit.resume();
            assertThat(release.get(WAIT_SECONDS, TimeUnit.SECONDS)).as("the release after the expiry").isFalse();
            check.resume();

            assertThat(reserve.get(WAIT_SECONDS, TimeUnit.SECONDS).status())
                    .as("%s @ %s: the only unit was the expired hold's, back since before the reserve began", kind, database)
                    .isEqualTo(ReservationResult.Status.RESERVED);
        }
    }

    /** The only unit of a new resource {@code run}, held by a hold that has just expired; its id. */
    private static long expiredHold(JdbiReservationStrategy strategy, String run, MutableClock clock) {
        strategy.define(run, 1);
        long hold = strategy.reserve(ReservationRequest.of(run, "cart").withHold(TTL)).reservation().id();
        clock.advance(TTL);
        return hold;
    }

    /** The database's pool (its tables installed, its ledgers watched), with pauses. */
    private static PausingDataSource source(TestDatabase database) {
        return PausingDataSource.of(database);
    }
}
