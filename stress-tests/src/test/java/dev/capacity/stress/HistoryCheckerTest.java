package dev.capacity.stress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The checker on small hand-made histories of one resource, "r". Calls take effect between
 * their start and end ({@code wall}, microseconds) and read the race's clock between
 * {@code clockFrom} and {@code clockTo}; a hold made at {@link #T} with a time to live of 60 s
 * expires at {@code at(60)}.
 */
final class HistoryCheckerTest {

    private static final long T = RaceClock.micros(RaceClock.START);
    private static final long EXPIRY = at(60);

    private final List<Op> ops = new ArrayList<>();
    private long wall = 1_000;

    @Test
    void check_requestGivenUpWhileAUnitWasFree_isUndersoldAndStuck() {
        granted(0, "h0", 1);
        answered(1, "h1", "CONTENDED");
        answered(1, "h1", "CONTENDED");

        HistoryChecker.Verdict verdict = check(2, 1, false);

        assertThat(verdict.undersold()).isEqualTo(1);
        assertThat(verdict.stuck()).isEqualTo(1);
        assertThat(verdict.problems()).singleElement().asString().startsWith("undersold: 1 unit of r never sold: h1"
                + " (process 0, thread 1) gave up after 0.0 s of retries (2 CONTENDED answers) while at most 1 of at"
                + " least 2 were held: Op[");
    }

    @Test
    void check_requestGivenUpWithNothingFree_isStuckNotUndersold() {
        granted(0, "h0", 1);
        answered(1, "h1", "CONTENDED");

        HistoryChecker.Verdict verdict = check(1, 1, false);

        assertThat(verdict.undersold()).isZero();
        assertThat(verdict.stuck()).isEqualTo(1);
        assertThat(verdict.problems()).singleElement().asString()
                .startsWith("stuck: h1 (process 0, thread 1) gave up after 0.0 s of retries (1 CONTENDED answer) on 1 unit"
                        + " of r: ");
    }

    @Test
    void check_requestRetriedUntilDecided_isFine() {
        answered(1, "h1", "CONTENDED");
        granted(1, "h1", 1);
        answered(0, "h0", "CONTENDED");
        answered(0, "h0", "INSUFFICIENT_CAPACITY");

        assertThat(check(1, 1, false).ok()).isTrue();
    }

    @Test
    void check_requestGivenUpUnderFaults_isNotJudged() {
        granted(0, "h0", 1);
        answered(1, "h1", "CONTENDED");

        assertThat(check(2, 1, true).ok()).isTrue();
    }

    @Test
    void check_refusalWithAUnitFreeThroughoutAndAtTheEnd_countsOnce() {
        granted(0, "h0", 1);
        answered(1, "h1", "INSUFFICIENT_CAPACITY");

        HistoryChecker.Verdict verdict = check(2, 1, false);

        assertThat(verdict.undersold()).isEqualTo(1);
        assertThat(verdict.stuck()).isZero();
        assertThat(verdict.problems()).singleElement().asString()
                .startsWith("undersold: 1 unit of r refused while at most 1 of at least 2 were held: ");
    }

    // ---- holds: oversold, undersold, late confirms, holds ended twice

    @Test
    void check_grantWhileALiveHoldAndAReservationFillTheResource_isOversold() {
        hold(0, 1, 1, T);
        granted(1, "p", 2);
        grantedAt(2, "g", 3, at(10));

        HistoryChecker.Verdict verdict = check(2, 3, at(10));

        assertThat(verdict.oversold()).isEqualTo(1);
        assertThat(verdict.problems()).anyMatch(p -> p.startsWith("r: granted 1 while 2 were certainly held of at most 2: "));
    }

    @Test
    void check_grantAtTheInstantTheOnlyHoldExpires_isFine() {
        hold(0, 1, 1, T);
        grantedAt(1, "g", 2, EXPIRY);

        HistoryChecker.Verdict verdict = check(1, 1, EXPIRY);

        assertThat(verdict.ok()).as(verdict.problems().toString()).isTrue();
        assertThat(verdict.expiredHolds()).isEqualTo(1);
        assertThat(verdict.reclaimedUnits()).as("the expired hold's unit, sold again").isEqualTo(1);
    }

    @Test
    void check_refusalWhileOnlyAnExpiredHoldWasCounted_isUndersoldByTheExpiredHold() {
        hold(0, 1, 1, T);
        op(Op.Kind.RESERVE, 1, 0, "INSUFFICIENT_CAPACITY", EXPIRY, EXPIRY);

        HistoryChecker.Verdict verdict = check(1, 0, EXPIRY);

        assertThat(verdict.undersold()).isEqualTo(1);
        assertThat(verdict.problems()).singleElement().asString().startsWith("undersold: 1 unit of r refused while at"
                + " most 0 of at least 1 were held, not counting holds that had expired by its clock (at least " + EXPIRY
                + "): ");
    }

    @Test
    void check_refusalAMicrosecondBeforeExpiry_isFine() {
        hold(0, 1, 1, T);
        op(Op.Kind.RESERVE, 1, 0, "INSUFFICIENT_CAPACITY", EXPIRY - 1, EXPIRY - 1);

        assertThat(check(1, 0, EXPIRY).ok()).isTrue();
    }

    @Test
    void check_refusalWhoseClockReadingMayPrecedeExpiry_isFine() {
        hold(0, 1, 1, T);
        op(Op.Kind.RESERVE, 1, 0, "INSUFFICIENT_CAPACITY", EXPIRY - 1, EXPIRY);

        assertThat(check(1, 0, EXPIRY).ok()).isTrue();
    }

    @Test
    void check_refusalAfterExpiryBesideAConfirmThatReadTheClockBefore_isFine() {
        hold(0, 1, 1, T);
        // the confirm reads the clock a microsecond before the expiry and takes effect first
        long confirmStart = wall;
        wall += 10;
        ops.add(new Op(0, 1, Op.Kind.CONFIRM, "r", "", 0, "", confirmStart, wall + 10, Op.Outcome.OK, "CONFIRMED", 1, 0,
                EXPIRY - 1, EXPIRY, 0, 0));
        op(Op.Kind.RESERVE, 2, 0, "INSUFFICIENT_CAPACITY", EXPIRY, EXPIRY);

        HistoryChecker.Verdict verdict = check(1, 1, EXPIRY);

        assertThat(verdict.ok()).as(verdict.problems().toString()).isTrue();
    }

    @Test
    void check_confirmAtExpiry_isALateConfirm() {
        hold(0, 1, 1, T);
        confirm(0, 1, "CONFIRMED", EXPIRY, EXPIRY);

        HistoryChecker.Verdict verdict = check(1, 1, EXPIRY);

        assertThat(verdict.lateConfirms()).isEqualTo(1);
        assertThat(verdict.problems()).singleElement().asString().startsWith("late confirm: r: hold 1 (expires at "
                + EXPIRY + ") confirmed at a clock reading of at least " + EXPIRY + ": ");
    }

    @Test
    void check_confirmAMicrosecondBeforeExpiry_orWhoseReadingMayPrecedeIt_isFine() {
        hold(0, 1, 1, T);
        hold(0, 2, 1, T);
        confirm(0, 1, "CONFIRMED", EXPIRY - 1, EXPIRY - 1);
        confirm(0, 2, "CONFIRMED", EXPIRY - 1, at(61));

        HistoryChecker.Verdict verdict = check(2, 2, at(61));

        assertThat(verdict.ok()).as(verdict.problems().toString()).isTrue();
    }

    /** The answers about hold 1 that end it twice, how the checker says so, and the counter and clock at the end. */
    static Stream<Arguments> holdsEndedTwice() {
        return Stream.of(
                endedTwice("confirmed twice: ", 1, at(20), t -> {
                    t.confirm(0, 1, "CONFIRMED", at(10), at(10));
                    t.confirm(0, 1, "CONFIRMED", at(20), at(20));
                }),
                endedTwice("confirmed and expired: ", 1, at(70), t -> {
                    t.confirm(0, 1, "CONFIRMED", at(10), at(10));
                    t.confirm(0, 1, "EXPIRED", at(70), at(70));
                }),
                endedTwice("released twice: ", 0, at(20), t -> {
                    t.release(0, 1, "true", at(10));
                    t.release(0, 1, "true", at(20));
                }),
                endedTwice("released (true) after it expired, with no confirm before: ", 0, at(70),
                        t -> t.release(0, 1, "true", at(70))),
                endedTwice("released and expired: ", 0, at(70), t -> {
                    t.release(0, 1, "true", at(10));
                    t.confirm(0, 1, "EXPIRED", at(70), at(70));
                }),
                endedTwice("confirmed, and released false as if it had expired: ", 1, at(70), t -> {
                    t.confirm(0, 1, "CONFIRMED", at(10), at(10));
                    t.release(0, 1, "false", at(70));
                }),
                endedTwice("confirmed after it was released: ", 1, at(20), t -> {
                    t.release(0, 1, "true", at(10));
                    t.confirm(0, 1, "CONFIRMED", at(20), at(20));
                }),
                endedTwice("answered ALREADY_CONFIRMED with no confirm before that can have taken effect", 1, at(10),
                        t -> t.confirm(0, 1, "ALREADY_CONFIRMED", at(10), at(10))));
    }

    private static Arguments endedTwice(String how, long counter, long clockAtEnd, Consumer<HistoryCheckerTest> answers) {
        return Arguments.of(how, counter, clockAtEnd, answers);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("holdsEndedTwice")
    void check_holdEndedTwice_isCaught(String how, long counter, long clockAtEnd, Consumer<HistoryCheckerTest> answers) {
        hold(0, 1, 1, T);
        answers.accept(this);

        HistoryChecker.Verdict verdict = check(1, counter, clockAtEnd);

        assertThat(verdict.endedTwice()).as(verdict.problems().toString()).isEqualTo(1);
        assertThat(verdict.problems()).anyMatch(p -> p.startsWith("r: hold 1 (expires at " + EXPIRY + ") ended twice: " + how));
    }

    @Test
    void check_holdAnsweredExpiredBeforeItsExpiry_isLost() {
        hold(0, 1, 1, T);
        confirm(0, 1, "EXPIRED", at(10), at(10));

        HistoryChecker.Verdict verdict = check(1, 0, at(10));

        assertThat(verdict.lost()).isEqualTo(1);
        assertThat(verdict.problems()).anyMatch(p -> p.startsWith("r: hold 1 (expires at " + EXPIRY
                + ") answered EXPIRED before its expiry: "));
    }

    @Test
    void check_holdsThatEndOnceEachWay_areFine() {
        hold(0, 1, 1, T);       // confirmed, released later, released again
        hold(0, 2, 1, T);       // expired: EXPIRED, then false
        hold(0, 3, 1, T);       // released while live, then RELEASED
        hold(0, 4, 1, T);       // a confirm of unknown outcome, asked again
        hold(0, 5, 1, T);       // a confirm of unknown outcome that had not happened
        confirm(0, 1, "CONFIRMED", at(10), at(10));
        release(0, 3, "true", at(10));
        confirm(0, 3, "RELEASED", at(11), at(11));
        confirm(0, 4, "OutcomeUnknownException", at(11), at(11));
        confirm(0, 4, "ALREADY_CONFIRMED", at(12), at(12));
        confirm(0, 5, "OutcomeUnknownException", at(12), at(12));
        confirm(0, 5, "CONFIRMED", at(13), at(13));
        release(0, 1, "true", at(70));
        release(0, 1, "false", at(71));
        confirm(0, 2, "EXPIRED", at(70), at(70));
        release(0, 2, "false", at(71));

        HistoryChecker.Verdict verdict = check(5, 2, at(71));

        assertThat(verdict.ok()).as(verdict.problems().toString()).isTrue();
        assertThat(verdict.expiredHolds()).isEqualTo(1);
    }

    @Test
    void check_confirmAndReleaseAtExpiry_eitherOrderIsFine() {
        hold(0, 1, 1, T);
        hold(0, 2, 1, T);
        // hold 1: the confirm read the clock before the expiry and went first; the release then returned the unit
        ops.add(new Op(0, 1, Op.Kind.CONFIRM, "r", "", 0, "", wall, wall + 10, Op.Outcome.OK, "CONFIRMED", 1, 0,
                EXPIRY - 1, EXPIRY, 0, 0));
        ops.add(new Op(0, 2, Op.Kind.RELEASE, "r", "", 0, "", wall + 1, wall + 11, Op.Outcome.OK, "true", 1, 0,
                EXPIRY, EXPIRY, 0, 0));
        // hold 2: the release at the expiry went first, so the confirm found it expired
        ops.add(new Op(0, 3, Op.Kind.CONFIRM, "r", "", 0, "", wall, wall + 10, Op.Outcome.OK, "EXPIRED", 2, 0,
                EXPIRY - 1, EXPIRY, 0, 0));
        ops.add(new Op(0, 4, Op.Kind.RELEASE, "r", "", 0, "", wall + 1, wall + 11, Op.Outcome.OK, "false", 2, 0,
                EXPIRY, EXPIRY, 0, 0));
        wall += 20;

        HistoryChecker.Verdict verdict = check(2, 0, EXPIRY);

        assertThat(verdict.ok()).as(verdict.problems().toString()).isTrue();
    }

    @Test
    void check_rowConfirmedAtItsExpiry_isALateConfirm_andRowConfirmedAndExpired_endedTwice() {
        hold(0, 1, 1, T);
        hold(0, 2, 1, T);
        // the answers could be explained: each confirm's reading may precede the expiry
        confirm(0, 1, "CONFIRMED", EXPIRY - 1, EXPIRY);
        confirm(0, 2, "CONFIRMED", EXPIRY - 1, EXPIRY);
        Map<Long, Snapshot.Row> rows = Map.of(
                1L, new Snapshot.Row(1, "r", "h", 1, "", false, false, 0, EXPIRY, 0),
                2L, new Snapshot.Row(2, "r", "h", 1, "", true, true, 0, EXPIRY - 1, EXPIRY));

        HistoryChecker.Verdict verdict = HistoryChecker.check(ops, new Snapshot(Map.of("r",
                new Snapshot.ResourceState("r", 2, 1)), rows, EXPIRY), Map.of("r", 2L), false);

        assertThat(verdict.lateConfirms()).isEqualTo(1);
        assertThat(verdict.endedTwice()).isEqualTo(1);
        assertThat(verdict.problems()).containsExactlyInAnyOrder(
                "late confirm: r: reservation 1 was confirmed at " + EXPIRY + " by its row, at or after its expiry at " + EXPIRY,
                "r: reservation 2 ended twice: its row is confirmed (at " + (EXPIRY - 1) + ") and ended by expiry (at "
                        + EXPIRY + ")");
    }

    @Test
    void check_confirmGivenUpOnLostRaces_isStuck() {
        hold(0, 1, 1, T);
        confirm(0, 1, "CONTENDED", at(10), at(10));
        confirm(0, 1, "CONTENDED", at(10), at(10));

        HistoryChecker.Verdict verdict = check(1, 1, at(10));

        assertThat(verdict.stuck()).isEqualTo(1);
        assertThat(verdict.problems()).singleElement().asString()
                .startsWith("stuck: gave up confirming hold 1 of r after 2 tries without an answer: ");
    }

    @Test
    void check_holdWhoseExpiryIsNotTheRaceClockPlusItsTimeToLive_isAnError() {
        ops.add(new Op(0, 0, Op.Kind.RESERVE, "r", "h", 1, "", wall++, wall++, Op.Outcome.OK, "RESERVED", 1, 1,
                T, T, 60_000_000, EXPIRY + 3_600_000_000L));

        HistoryChecker.Verdict verdict = check(1, 1, T);

        assertThat(verdict.errors()).isEqualTo(1);
        assertThat(verdict.problems()).singleElement().asString().contains("the strategy does not judge holds by the race's clock");
    }

    /** A hold of {@code quantity} made when the clock read {@code clockAt}, living 60 s. */
    private void hold(int thread, long id, int quantity, long clockAt) {
        ops.add(new Op(0, thread, Op.Kind.RESERVE, "r", "h" + id, quantity, "", wall++, wall++, Op.Outcome.OK, "RESERVED",
                id, 1, clockAt, clockAt, 60_000_000, clockAt + 60_000_000));
    }

    private void grantedAt(int thread, String holder, long id, long clockAt) {
        op(Op.Kind.RESERVE, thread, id, "RESERVED", clockAt, clockAt);
    }

    private void confirm(int thread, long id, String result, long clockFrom, long clockTo) {
        op(Op.Kind.CONFIRM, thread, id, result, clockFrom, clockTo);
    }

    private void release(int thread, long id, String result, long clockAt) {
        op(Op.Kind.RELEASE, thread, id, result, clockAt, clockAt);
    }

    /** One call after all before it: a reserve of one unit, a confirm or a release of {@code id}. */
    private void op(Op.Kind kind, int thread, long id, String result, long clockFrom, long clockTo) {
        Op.Outcome outcome = switch (result) {
            case "RESERVED", "CONFIRMED", "ALREADY_CONFIRMED", "EXPIRED", "RELEASED", "true", "false" -> Op.Outcome.OK;
            case "OutcomeUnknownException" -> Op.Outcome.UNKNOWN;
            default -> Op.Outcome.FAIL;
        };
        boolean reserve = kind == Op.Kind.RESERVE;
        ops.add(new Op(0, thread, kind, "r", reserve ? "h" + thread : "", reserve ? 1 : 0, "", wall++, wall++, outcome,
                result, id, reserve ? 1 : 0, clockFrom, clockTo, 0, 0));
    }

    private static long at(int seconds) {
        return T + seconds * 1_000_000L;
    }

    private HistoryChecker.Verdict check(long capacity, long counter, long clockAtEnd) {
        Snapshot snapshot = new Snapshot(Map.of("r", new Snapshot.ResourceState("r", capacity, counter)), null, clockAtEnd);
        return HistoryChecker.check(ops, snapshot, Map.of("r", capacity), false);
    }

    private void granted(int thread, String holder, long id) {
        ops.add(new Op(0, thread, Op.Kind.RESERVE, "r", holder, 1, "", wall++, wall++, Op.Outcome.OK, "RESERVED", id, 1));
    }

    private void answered(int thread, String holder, String status) {
        ops.add(new Op(0, thread, Op.Kind.RESERVE, "r", holder, 1, "", wall++, wall++, Op.Outcome.FAIL, status, 0, 1));
    }

    private HistoryChecker.Verdict check(long capacity, long counter, boolean underFaults) {
        Snapshot snapshot = new Snapshot(Map.of("r", new Snapshot.ResourceState("r", capacity, counter)), null);
        return HistoryChecker.check(ops, snapshot, Map.of("r", capacity), underFaults);
    }
}
