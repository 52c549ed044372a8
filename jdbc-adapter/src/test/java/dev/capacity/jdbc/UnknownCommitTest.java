package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StoreUnavailableException;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.FaultyDataSource;
import dev.capacity.jdbc.testing.FaultyDataSource.CommitFault;
import dev.capacity.jdbc.testing.Ledger;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.LockWaits;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.jdbc.testing.Waits;
import dev.capacity.testing.MutableClock;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The connection fails during COMMIT, so the caller cannot tell whether the reservation was made.
 * With an idempotency key the strategy looks the key up and answers with the truth; without one
 * it throws {@link OutcomeUnknownException} carrying the request. Faults are injected around a
 * real database connection.
 */
@ExtendWith(LedgersAddUp.class)
final class UnknownCommitTest {

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.onDatabases();
    }

    private static JdbiReservationStrategy strategyOn(StrategyFixture fixture, FaultyDataSource faulty) {
        fixture.jdbi(); // installs the tables
        return JdbiStrategies.of(fixture.kind(), Jdbi.create(faulty));
    }

    private static JdbiReservationStrategy strategyOn(StrategyFixture fixture, FaultyDataSource faulty, MutableClock clock) {
        fixture.jdbi(); // installs the tables
        return JdbiStrategies.of(fixture.kind(), Jdbi.create(faulty), StrategyOptions.builder().clock(clock).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_commitSucceededButConnectionLost_withKey_answersReserved(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        ReservationRequest request = ReservationRequest.of(run, "h").withQuantity(2).withIdempotencyKey(newId("key"));

        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT);
        ReservationResult result = strategy.reserve(request);

        assertThat(faulty.failedCommits()).isEqualTo(1);
        assertThat(result.status()).isEqualTo(RESERVED);
        assertThat(result.attempts()).isEqualTo(1);
        assertThat(strategy.reserve(request).reservation()).isEqualTo(result.reservation());
        Ledger ledger = fixture.ledger(run);
        assertThat(ledger.reservationRows()).isEqualTo(1);
        assertThat(ledger.reserved()).isEqualTo(2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_commitLostWithConnection_withKey_retriesAndReservesOnce(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        ReservationRequest request = ReservationRequest.of(run, "h").withIdempotencyKey(newId("key"));

        faulty.failNextCommits(1, CommitFault.INSTEAD_OF_COMMIT);
        ReservationResult result = strategy.reserve(request);

        assertThat(faulty.failedCommits()).isEqualTo(1);
        assertThat(result.status()).isEqualTo(RESERVED);
        assertThat(result.attempts()).isEqualTo(2);
        assertThat(fixture.ledger(run).reservationRows()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_commitSucceededButConnectionLost_withoutKey_answersReservedFromTheRow(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);

        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT);
        ReservationResult result = strategy.reserve(ReservationRequest.of(run, "h"));

        // the row of this attempt is there: the commit happened
        assertThat(result.status()).isEqualTo(RESERVED);
        assertThat(fixture.ledger(run).reservationRows()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_commitOutcomeUnknown_withoutKey_throwsCarryingTheRequest(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        ReservationRequest request = ReservationRequest.of(run, "h");

        faulty.failNextCommits(1, CommitFault.INSTEAD_OF_COMMIT);

        // no row, but a COMMIT in flight could still land it: only the caller can decide
        assertThatThrownBy(() -> strategy.reserve(request))
                .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> assertThat(e.request()).isEqualTo(request));
        assertThat(fixture.ledger(run).reservationRows()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_commitOutcomeUnknownAndStoreDown_withKey_throwsAndRetryTellsTheTruth(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        ReservationRequest request = ReservationRequest.of(run, "h").withIdempotencyKey(newId("key"));

        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT);
        faulty.refuseConnectionsAfterFault();
        assertThatThrownBy(() -> strategy.reserve(request))
                .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> assertThat(e.request()).isEqualTo(request));
        assertThatThrownBy(() -> strategy.reserve(request)).isInstanceOf(StoreUnavailableException.class);
        faulty.heal();

        ReservationResult retried = strategy.reserve(request);
        assertThat(retried.status()).isEqualTo(REPLAYED);
        assertThat(fixture.ledger(run).reservationRows()).isEqualTo(1);
    }

    // ---- two calls in one microsecond of the clock: the lookup must tell them apart

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void confirm_commitLost_whileAnotherConfirmAtTheSameInstantLands_isAlreadyConfirmedNotConfirmedTwice(
            StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        MutableClock clock = MutableClock.start();
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty, clock);
        JdbiReservationStrategy other = JdbiStrategies.of(fixture.kind(), fixture.database().pool().dataSource(),
                StrategyOptions.builder().clock(clock).build());
        String run = newId("run");
        strategy.define(run, 5);
        long hold = strategy.reserve(ReservationRequest.of(run, "h").withHold(Duration.ofMinutes(10))).reservation().id();
        List<HoldStatus> theOther = new ArrayList<>();
        // our COMMIT is lost; before we look, another payment's confirm lands with the same stamp
        faulty.onFailedCommit(() -> theOther.add(other.confirm(hold)));
        faulty.failNextCommits(1, CommitFault.INSTEAD_OF_COMMIT);

        HoldStatus ours = strategy.confirm(hold);

        assertThat(theOther).containsExactly(HoldStatus.CONFIRMED);
        assertThat(ours).as("the confirm that landed was the other's").isEqualTo(HoldStatus.ALREADY_CONFIRMED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_commitLost_whileAnotherReleaseAtTheSameInstantLands_isFalseNotTrueTwice(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        MutableClock clock = MutableClock.start();
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty, clock);
        JdbiReservationStrategy other = JdbiStrategies.of(fixture.kind(), fixture.database().pool().dataSource(),
                StrategyOptions.builder().clock(clock).build());
        String run = newId("run");
        strategy.define(run, 5);
        long id = strategy.reserve(ReservationRequest.of(run, "h").withQuantity(2)).reservation().id();
        List<Boolean> theOther = new ArrayList<>();
        faulty.onFailedCommit(() -> theOther.add(other.release(id)));
        faulty.failNextCommits(1, CommitFault.INSTEAD_OF_COMMIT);

        boolean ours = strategy.release(id);

        assertThat(theOther).containsExactly(true);
        assertThat(ours).as("the release that landed was the other's").isFalse();
        assertThat(fixture.ledger(run).reserved()).isZero();
    }

    // ---- a COMMIT that lands after its caller saw it fail: MariaDB's KILL CONNECTION shuts the
    // socket of a session in the middle of its COMMIT, which the server thread then finishes (the
    // fault suite caught it there); a network cut does the same on any database

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_commitLandsAfterItsConnectionWasLost_answersTrueOnce(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        long id = strategy.reserve(ReservationRequest.of(run, "h").withQuantity(2)).reservation().id();
        AtomicBoolean returned = new AtomicBoolean();
        // the COMMIT lands once another transaction waits for its locks, or once the call is over
        BooleanSupplier waited = LockWaits.anyone(fixture.database());
        faulty.failNextCommitLandingLater(() -> returned.get() || waited.getAsBoolean());

        boolean ours = strategy.release(id);
        returned.set(true);
        Waits.until(() -> faulty.lateCommits() == 1);
        faulty.requireLateCommitsLanded();

        assertThat(ours).as("the release that landed was this one").isTrue();
        assertThat(strategy.release(id)).isFalse();
        Ledger ledger = fixture.ledger(run);
        assertThat(ledger.reserved()).isZero();
        assertThat(ledger.releasedRows()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void confirm_commitLandsAfterItsConnectionWasLost_answersConfirmedOnce(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        MutableClock clock = MutableClock.start();
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty, clock);
        String run = newId("run");
        strategy.define(run, 5);
        long hold = strategy.reserve(ReservationRequest.of(run, "h").withHold(Duration.ofMinutes(10))).reservation().id();
        AtomicBoolean returned = new AtomicBoolean();
        BooleanSupplier waited = LockWaits.anyone(fixture.database());
        faulty.failNextCommitLandingLater(() -> returned.get() || waited.getAsBoolean());

        HoldStatus ours = strategy.confirm(hold);
        returned.set(true);
        Waits.until(() -> faulty.lateCommits() == 1);
        faulty.requireLateCommitsLanded();

        assertThat(ours).as("the confirm that landed was this one").isEqualTo(HoldStatus.CONFIRMED);
        assertThat(strategy.confirm(hold)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        assertThat(fixture.ledger(run).reserved()).isEqualTo(1);
    }

    // ---- orders

    private static List<ReservationRequest> order(String a, String b, boolean keyed) {
        String key = newId("order");
        ReservationRequest first = ReservationRequest.of(a, "h").withQuantity(2);
        ReservationRequest second = ReservationRequest.of(b, "h");
        return keyed ? List.of(first.withIdempotencyKey(key + "/1"), second.withIdempotencyKey(key + "/2"))
                : List.of(first, second);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserveAll_commitSucceededButConnectionLost_answersReservedFromTheRows(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String a = newId("run");
        String b = newId("run");
        strategy.define(a, 5);
        strategy.define(b, 5);

        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT);
        OrderResult order = strategy.reserveAll(order(a, b, false));

        assertThat(faulty.failedCommits()).isEqualTo(1);
        assertThat(order.status()).isEqualTo(RESERVED);
        assertThat(fixture.ledger(a).reserved()).isEqualTo(2);
        assertThat(fixture.ledger(b).reserved()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserveAll_commitLostWithConnection_everyLineKeyed_runsAgainAndReservesOnce(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String a = newId("run");
        String b = newId("run");
        strategy.define(a, 5);
        strategy.define(b, 5);
        List<ReservationRequest> lines = order(a, b, true);

        faulty.failNextCommits(1, CommitFault.INSTEAD_OF_COMMIT);
        OrderResult order = strategy.reserveAll(lines);

        assertThat(order.status()).isEqualTo(RESERVED);
        assertThat(strategy.reserveAll(lines).reservations()).isEqualTo(order.reservations());
        assertThat(fixture.ledger(a).reservationRows()).isEqualTo(1);
        assertThat(fixture.ledger(b).reservationRows()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserveAll_commitOutcomeUnknown_notEveryLineKeyed_throws(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String a = newId("run");
        String b = newId("run");
        strategy.define(a, 5);
        strategy.define(b, 5);

        faulty.failNextCommits(1, CommitFault.INSTEAD_OF_COMMIT);

        assertThatThrownBy(() -> strategy.reserveAll(order(a, b, false))).isInstanceOf(OutcomeUnknownException.class)
                .hasMessageContaining("reserving an order of 2 line(s)");
        assertThat(fixture.ledger(a).reservationRows()).isZero();
        assertThat(fixture.ledger(b).reservationRows()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_commitSucceededButConnectionLost_answersTrueOnce(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        Reservation held = strategy.reserve(ReservationRequest.of(run, "h")).reservation();

        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT);
        assertThat(strategy.release(held.id())).isTrue();
        assertThat(faulty.failedCommits()).isEqualTo(1);
        assertThat(strategy.release(held.id())).isFalse();

        assertThat(fixture.ledger(run).reserved()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_commitLostWithConnection_retriesAndReleasesOnce(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        Reservation held = strategy.reserve(ReservationRequest.of(run, "h").withQuantity(3)).reservation();

        faulty.failNextCommits(1, CommitFault.INSTEAD_OF_COMMIT);
        assertThat(strategy.release(held.id())).isTrue();

        Ledger ledger = fixture.ledger(run);
        assertThat(ledger.reserved()).isZero();
        assertThat(ledger.releasedRows()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_connectionLostBeforeCommit_runsAgainOnAnotherConnection(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);

        faulty.loseNextStatements(1);
        ReservationResult result = strategy.reserve(ReservationRequest.of(run, "h"));

        assertThat(result.status()).isEqualTo(RESERVED);
        assertThat(result.attempts()).isEqualTo(2);
        assertThat(fixture.ledger(run).reservationRows()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_connectionLostBeforeCommit_runsAgainOnAnotherConnection(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        Reservation held = strategy.reserve(ReservationRequest.of(run, "h")).reservation();

        faulty.loseNextStatements(1);
        assertThat(strategy.release(held.id())).isTrue();
        assertThat(strategy.release(held.id())).isFalse();
        assertThat(fixture.ledger(run).reserved()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_connectionLostInTheCallersTransaction_isStoreUnavailable(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);

        // the caller's transaction died with its connection: only the caller can run it again
        faulty.loseNextStatements(1);
        assertThatThrownBy(() -> Jdbi.create(faulty).useTransaction(h -> strategy.reserve(h, ReservationRequest.of(run, "h"))))
                .isInstanceOf(StoreUnavailableException.class);
        assertThat(fixture.ledger(run).reservationRows()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_commitCancelledAfterItCommitted_isLookedUp_neverBookedTwice(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);

        // a statement timeout that cancels the COMMIT after it committed: running it again would
        // book the request twice; looking the row up finds it
        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT, "57014");
        ReservationResult result = strategy.reserve(ReservationRequest.of(run, "h"));

        assertThat(faulty.failedCommits()).isEqualTo(1);
        assertThat(result.status()).isEqualTo(RESERVED);
        Ledger ledger = fixture.ledger(run);
        assertThat(ledger.reservationRows()).isEqualTo(1);
        assertThat(ledger.reserved()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_commitCancelledAfterItCommitted_answersTrueOnce(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 5);
        Reservation held = strategy.reserve(ReservationRequest.of(run, "h")).reservation();

        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT, "57014");
        assertThat(strategy.release(held.id())).isTrue();
        assertThat(strategy.release(held.id())).isFalse();
        assertThat(fixture.ledger(run).reserved()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void confirm_commitLostEitherWay_confirmsOnceAndSaysSo(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 2);
        long afterCommit = strategy.reserve(ReservationRequest.of(run, "a").withHold(Duration.ofMinutes(10))).reservation().id();
        long insteadOfCommit = strategy.reserve(ReservationRequest.of(run, "b").withHold(Duration.ofMinutes(10)))
                .reservation().id();

        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT);
        HoldStatus looked = strategy.confirm(afterCommit);
        faulty.failNextCommits(1, CommitFault.INSTEAD_OF_COMMIT);
        HoldStatus retried = strategy.confirm(insteadOfCommit);

        assertThat(faulty.failedCommits()).isEqualTo(2);
        assertThat(looked).isEqualTo(HoldStatus.CONFIRMED);
        assertThat(retried).isEqualTo(HoldStatus.CONFIRMED);
        assertThat(strategy.confirm(afterCommit)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        assertThat(strategy.confirm(insteadOfCommit)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 2, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void extendAndRelease_ofHolds_commitLostAfterCommitting_answerWhatHappened(StrategyFixture fixture) {
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        JdbiReservationStrategy strategy = strategyOn(fixture, faulty);
        String run = newId("run");
        strategy.define(run, 2);
        long extended = strategy.reserve(ReservationRequest.of(run, "a").withHold(Duration.ofMinutes(10))).reservation().id();
        long released = strategy.reserve(ReservationRequest.of(run, "b").withHold(Duration.ofMinutes(10))).reservation().id();

        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT);
        HoldStatus extension = strategy.extend(extended, Duration.ofMinutes(30));
        faulty.failNextCommits(1, CommitFault.AFTER_COMMIT);
        boolean release = strategy.release(released);

        assertThat(extension).isEqualTo(HoldStatus.EXTENDED);
        assertThat(release).isTrue();
        assertThat(strategy.release(released)).isFalse();
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 1, 1));
    }
}
