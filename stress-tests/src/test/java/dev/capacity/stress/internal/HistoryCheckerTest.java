package dev.capacity.stress.internal;

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

    // ---- orders: whole or not at all, counted like their lines

    @Test
    void check_grantedOrderWithEveryLinesRow_isFine_andWithoutOne_isAHalfOrder() {
        order(0, 1, "RESERVED", -1, line("a", "o1", 1, 11), line("b", "o1", 1, 12));

        HistoryChecker.Verdict whole = checkRows(resources("a", 2, 1, "b", 2, 1), Map.of(), rows(row(11, "a", "o1", 1),
                row(12, "b", "o1", 1)));
        HistoryChecker.Verdict half = checkRows(resources("a", 2, 1, "b", 2, 0), Map.of(), rows(row(11, "a", "o1", 1)));

        assertThat(whole.ok()).as(whole.problems().toString()).isTrue();
        assertThat(half.halfOrders()).isEqualTo(1);
        assertThat(half.lost()).as("counted as a half order, not also as lost").isZero();
        assertThat(half.problems()).singleElement().asString().startsWith("half order: order 1 (2 lines, process 0,"
                + " thread 0) answered RESERVED, but line 1's reservation 12 has row null: ");
    }

    @Test
    void check_grantedOrderWhoseLineRowIsAnotherHolders_isAHalfOrder() {
        order(0, 1, "RESERVED", -1, line("a", "o1", 1, 11), line("b", "o1", 1, 12));

        HistoryChecker.Verdict verdict = checkRows(resources("a", 2, 1, "b", 2, 1), Map.of(),
                rows(row(11, "a", "o1", 1), row(12, "b", "someone-else", 1)));

        assertThat(verdict.halfOrders()).isEqualTo(1);
        assertThat(verdict.problems()).anyMatch(p -> p.contains("line 1's reservation 12 has row Row[id=12, resourceId=b,"
                + " holderId=someone-else"));
    }

    @Test
    void check_grantedOrderWithoutAReservationOfItsOwnForALine_isAHalfOrder_inMemoryToo() {
        order(0, 1, "RESERVED", -1, line("a", "o1", 1, 11), line("b", "o1", 1, 11));

        HistoryChecker.Verdict verdict = checkMemory(resources("a", 2, 1, "b", 2, 0), Map.of());

        assertThat(verdict.halfOrders()).isEqualTo(1);
        assertThat(verdict.problems()).anyMatch(p -> p.startsWith("half order: order 1 (2 lines, process 0, thread 0)"
                + " answered RESERVED without a reservation of its own for line 1: "));
    }

    @Test
    void check_refusedOrderThatLeftTheRowOfALine_isAHalfOrder_butARowAnUnknownCallMayHaveMade_isNot() {
        // placed line by line: line 0 was reserved, line 1 refused, line 0 given back
        order(0, 1, "INSUFFICIENT_CAPACITY", 1, line("a", "o1", 1, 0), line("b", "o1", 1, 0));
        Map<Long, Snapshot.Row> rows = rows(released(row(7, "a", "o1", 1)));

        HistoryChecker.Verdict half = checkRows(resources("a", 1, 0, "b", 0, 0), Map.of(), rows);
        ops.add(new Op(0, 1, Op.Kind.RESERVE, "a", "o1", 1, "", wall++, wall++, Op.Outcome.UNKNOWN,
                "OutcomeUnknownException", 0, 0));
        HistoryChecker.Verdict explained = checkRows(resources("a", 1, 0, "b", 0, 0), Map.of(), rows);

        assertThat(half.halfOrders()).isEqualTo(1);
        assertThat(half.unexpected()).as("counted as a half order, not also as unexpected").isZero();
        assertThat(half.problems()).singleElement().asString().startsWith("half order: order 1 (2 lines, process 0,"
                + " thread 0) answered INSUFFICIENT_CAPACITY, yet left row 7 for line 0 (released): ");
        assertThat(explained.ok()).as(explained.problems().toString()).isTrue();
        assertThat(explained.explainedByUnknown()).isEqualTo(1);
    }

    @Test
    void check_orderOfUnknownOutcomeWithRowsForSomeLines_isAHalfOrder_withAllOrNone_isFine() {
        order(0, 1, "OutcomeUnknownException", -1, line("a", "o1", 1, 0), line("b", "o1", 2, 0));

        HistoryChecker.Verdict none = checkRows(resources("a", 2, 0, "b", 2, 0), Map.of(), rows());
        HistoryChecker.Verdict all = checkRows(resources("a", 2, 1, "b", 2, 2), Map.of(),
                rows(row(5, "a", "o1", 1), row(6, "b", "o1", 2)));
        HistoryChecker.Verdict half = checkRows(resources("a", 2, 0, "b", 2, 2), Map.of(), rows(row(6, "b", "o1", 2)));

        assertThat(none.ok()).as(none.problems().toString()).isTrue();
        assertThat(all.ok()).as(all.problems().toString()).isTrue();
        assertThat(half.halfOrders()).isEqualTo(1);
        assertThat(half.problems()).anyMatch(p -> p.startsWith("half order: order 1 (2 lines, process 0, thread 0) of"
                + " unknown outcome has rows for lines [1] but none for lines [0]: "));
    }

    @Test
    void check_orderGrantedOverWhatIsCertainlyHeld_isOversold_itsLinesOnOneResourceCountingTogether() {
        ops.add(reserve(1, "a", "p", 1, "RESERVED", 1));
        order(0, 2, "RESERVED", -1, line("a", "o2", 1, 21), line("b", "o2", 1, 22), line("a", "o2", 1, 23));

        HistoryChecker.Verdict over = checkMemory(resources("a", 2, 3, "b", 1, 1), Map.of());
        HistoryChecker.Verdict fits = checkMemory(resources("a", 3, 3, "b", 1, 1), Map.of());

        assertThat(over.oversold()).isEqualTo(1);
        assertThat(over.problems()).anyMatch(p -> p.startsWith("a: granted 2 while 1 were certainly held of at most 2: "));
        assertThat(fits.ok()).as(fits.problems().toString()).isTrue();
    }

    @Test
    void check_orderRefusedWhileItsNamedResourceHadRoomForItsPart_isUndersold_butNotWithoutRoomForTheWholePart() {
        ops.add(reserve(1, "a", "p", 1, "RESERVED", 1));
        // two lines of 1 on a: they need 2 of the 2 a has left
        order(0, 2, "INSUFFICIENT_CAPACITY", 0, line("a", "o2", 1, 0), line("b", "o2", 1, 0), line("a", "o2", 1, 0));
        HistoryChecker.Verdict room = checkMemory(resources("a", 3, 1, "b", 1, 0), Map.of());
        HistoryChecker.Verdict noRoom = checkMemory(resources("a", 2, 1, "b", 1, 0), Map.of());

        assertThat(room.undersold()).isEqualTo(1);
        assertThat(room.problems()).singleElement().asString().startsWith("undersold: 2 units of a (the part of an order"
                + " of 3 lines that its refusal named) refused while at most 1 of at least 3 were held: ");
        assertThat(noRoom.ok()).as(noRoom.problems().toString()).isTrue();
    }

    @Test
    void check_orderRefusedNamingAShortResource_isFine_whileAnotherOfItsResourcesHadRoom() {
        ops.add(reserve(1, "b", "p", 1, "RESERVED", 1));
        order(0, 2, "INSUFFICIENT_CAPACITY", 1, line("a", "o2", 1, 0), line("b", "o2", 1, 0));

        HistoryChecker.Verdict verdict = checkMemory(resources("a", 5, 0, "b", 1, 1), Map.of());

        assertThat(verdict.ok()).as(verdict.problems().toString()).isTrue();
    }

    @Test
    void check_orderGivenUpWhileEveryPartHadRoom_isUndersoldAndStuck_whileOnePartHadNone_onlyStuck() {
        ops.add(reserve(1, "b", "p", 1, "RESERVED", 1));
        order(0, 2, "CONTENDED", -1, line("a", "o2", 1, 0), line("b", "o2", 1, 0));
        order(0, 3, "CONTENDED", -1, line("a", "o2", 1, 0), line("b", "o2", 1, 0));

        HistoryChecker.Verdict room = checkMemory(resources("a", 1, 0, "b", 2, 1), Map.of());
        HistoryChecker.Verdict noRoom = checkMemory(resources("a", 1, 0, "b", 1, 1), Map.of());

        assertThat(room.undersold()).isEqualTo(1);
        assertThat(room.stuck()).isEqualTo(1);
        assertThat(room.problems()).singleElement().asString().startsWith("undersold: an order of 2 lines never sold: o2"
                + " (process 0, thread 0) gave up after 0.0 s of retries (2 CONTENDED answers) while every resource (and"
                + " holder) of it had room throughout: ");
        assertThat(noRoom.undersold()).isZero();
        assertThat(noRoom.stuck()).isEqualTo(1);
        assertThat(noRoom.problems()).singleElement().asString().startsWith("stuck: o2 (process 0, thread 0) gave up after");
    }

    // ---- per-holder limits: over the limit, holder undersold

    @Test
    void check_grantWhileTheHoldersLimitIsCertainlyTaken_isOverTheHolderLimit_butNotAfterARelease() {
        ops.add(reserve(0, "r", "bot", 1, "RESERVED", 1));
        ops.add(reserve(1, "r", "bot", 1, "RESERVED", 2));
        ops.add(reserve(2, "r", "bot", 1, "RESERVED", 3));
        HistoryChecker.Verdict over = checkMemory(resources("r", 10, 3), Map.of("r", 2L));

        ops.add(2, new Op(0, 0, Op.Kind.RELEASE, "r", "", 0, "", ops.get(1).completedMicros() + 1,
                ops.get(1).completedMicros() + 1, Op.Outcome.OK, "true", 1, 0));
        HistoryChecker.Verdict released = checkMemory(resources("r", 10, 2), Map.of("r", 2L));

        assertThat(over.overHolderLimit()).isEqualTo(1);
        assertThat(over.problems()).anyMatch(p -> p.startsWith("over the holder limit: bot was granted 1 of r while 2 of"
                + " theirs certainly counted, limited to 2: "));
        assertThat(released.ok()).as(released.problems().toString()).isTrue();
    }

    @Test
    void check_twoGrantsOfOneHolderAtOnce_bothLiveWhenTheSecondReturned_areOverTheHolderLimit() {
        // a: 10..20, b: 15..25, a released from 30 (so nothing is over the limit at the end)
        ops.add(timed(0, Op.Kind.RESERVE, "r", "bot", 1, "RESERVED", 1, 10, 20));
        ops.add(timed(1, Op.Kind.RESERVE, "r", "bot", 1, "RESERVED", 2, 15, 25));
        ops.add(timed(0, Op.Kind.RELEASE, "r", "", 0, "true", 1, 30, 31));
        HistoryChecker.Verdict over = checkMemory(resources("r", 10, 1), Map.of("r", 1L));

        // the release began in the microsecond the second grant returned: it may have come first
        ops.set(2, timed(0, Op.Kind.RELEASE, "r", "", 0, "true", 1, 25, 31));
        HistoryChecker.Verdict mayHaveEnded = checkMemory(resources("r", 10, 1), Map.of("r", 1L));

        assertThat(over.overHolderLimit()).isEqualTo(1);
        assertThat(over.problems()).singleElement().asString().startsWith("over the holder limit: bot certainly had 2 of r"
                + " live when a grant of 1 returned, limited to 1: ");
        assertThat(mayHaveEnded.ok()).as(mayHaveEnded.problems().toString()).isTrue();
    }

    @Test
    void check_holderWithMoreThanTheLimitLiveAtTheEnd_isOverTheHolderLimit_notCountingExpiredHolds() {
        // three grants at once: no one of them certainly before another
        ops.add(timed(0, Op.Kind.RESERVE, "r", "bot", 1, "RESERVED", 1, 10, 20));
        ops.add(timed(1, Op.Kind.RESERVE, "r", "bot", 1, "RESERVED", 2, 10, 20));
        ops.add(timed(2, Op.Kind.RESERVE, "r", "bot", 1, "RESERVED", 3, 10, 20));
        Map<Long, Snapshot.Row> rows = rows(row(1, "r", "bot", 1), row(2, "r", "bot", 1), row(3, "r", "bot", 1));
        HistoryChecker.Verdict over = checkRows(resources("r", 10, 3), Map.of("r", 2L), rows);

        assertThat(over.overHolderLimit()).isEqualTo(1);
        assertThat(over.problems()).singleElement().asString()
                .isEqualTo("over the holder limit: bot has 3 units of r live at the end, limited to 2");
        assertThat(checkRows(resources("r", 10, 3), Map.of("r", 3L), rows).ok()).isTrue();
    }

    @Test
    void check_holderLimitRefusalWithRoomUnderTheLimit_isHolderUndersold_butNotForMoreThanTheRoom() {
        ops.add(reserve(0, "r", "bot", 1, "RESERVED", 1));
        ops.add(reserve(1, "r", "other", 1, "RESERVED", 2));
        ops.add(reserve(1, "r", "bot", 1, "HOLDER_LIMIT_REACHED", 0));
        HistoryChecker.Verdict undersold = checkMemory(resources("r", 10, 2), Map.of("r", 2L));

        ops.set(2, reserve(1, "r", "bot", 2, "HOLDER_LIMIT_REACHED", 0));
        HistoryChecker.Verdict overTheRoom = checkMemory(resources("r", 10, 2), Map.of("r", 2L));

        assertThat(undersold.holderUndersold()).isEqualTo(1);
        assertThat(undersold.problems()).singleElement().asString().startsWith("holder undersold: 1 unit of r for bot"
                + " refused HOLDER_LIMIT_REACHED while bot had at most 1 live, limited to 2: ");
        assertThat(overTheRoom.ok()).as(overTheRoom.problems().toString()).isTrue();
    }

    @Test
    void check_holderLimitRefusalBesideAGrantThatMayHaveComeFirst_isFine() {
        ops.add(reserve(0, "r", "bot", 1, "RESERVED", 1));
        ops.add(timed(0, Op.Kind.RESERVE, "r", "bot", 1, "RESERVED", 2, wall + 100, wall + 120));
        ops.add(timed(1, Op.Kind.RESERVE, "r", "bot", 1, "HOLDER_LIMIT_REACHED", 0, wall + 110, wall + 130));

        HistoryChecker.Verdict verdict = checkMemory(resources("r", 10, 2), Map.of("r", 2L));

        assertThat(verdict.ok()).as(verdict.problems().toString()).isTrue();
    }

    @Test
    void check_holderLimitRefusalWhileOnlyTheHoldersExpiredHoldCounted_isHolderUndersold_unlessItsReadingMayPrecedeIt() {
        ops.add(new Op(0, 0, Op.Kind.RESERVE, "r", "bot", 1, "", wall++, wall++, Op.Outcome.OK, "RESERVED", 1, 1, T, T,
                60_000_000, EXPIRY));
        ops.add(new Op(0, 1, Op.Kind.RESERVE, "r", "bot", 1, "", wall++, wall++, Op.Outcome.FAIL, "HOLDER_LIMIT_REACHED",
                0, 1, EXPIRY, EXPIRY, 0, 0));
        HistoryChecker.Verdict undersold = check(resources("r", 10, 0), Map.of("r", 1L), null, EXPIRY);

        ops.set(1, new Op(0, 1, Op.Kind.RESERVE, "r", "bot", 1, "", ops.get(1).invokedMicros(),
                ops.get(1).completedMicros(), Op.Outcome.FAIL, "HOLDER_LIMIT_REACHED", 0, 1, EXPIRY - 1, EXPIRY, 0, 0));
        HistoryChecker.Verdict mayPrecede = check(resources("r", 10, 0), Map.of("r", 1L), null, EXPIRY);

        assertThat(undersold.holderUndersold()).isEqualTo(1);
        assertThat(undersold.problems()).singleElement().asString().startsWith("holder undersold: 1 unit of r for bot"
                + " refused HOLDER_LIMIT_REACHED while bot had at most 0 live, limited to 1, not counting holds that had"
                + " expired by its clock (at least " + EXPIRY + "): ");
        assertThat(mayPrecede.ok()).as(mayPrecede.problems().toString()).isTrue();
    }

    @Test
    void check_holderLimitRefusalOnAResourceWithoutALimit_isHolderUndersold() {
        ops.add(reserve(0, "r", "bot", 1, "HOLDER_LIMIT_REACHED", 0));

        HistoryChecker.Verdict verdict = checkMemory(resources("r", 10, 0), Map.of());

        assertThat(verdict.holderUndersold()).isEqualTo(1);
        assertThat(verdict.problems()).singleElement().asString().startsWith("holder undersold: 1 unit of r for bot refused"
                + " HOLDER_LIMIT_REACHED although r has no limit per holder: ");
    }

    @Test
    void check_orderRefusedForItsHoldersLimit_isJudgedOnTheHoldersLinesThere() {
        ops.add(reserve(1, "a", "bot", 1, "RESERVED", 1));
        // the bot's two lines on a need 2 more under a limit of 3: 1 + 2 fits, so the refusal is wrong
        order(0, 2, "HOLDER_LIMIT_REACHED", 1, line("b", "bot", 1, 0), line("a", "bot", 1, 0), line("a", "bot", 1, 0),
                line("a", "friend", 1, 0));
        HistoryChecker.Verdict undersold = checkMemory(resources("a", 10, 1, "b", 10, 0), Map.of("a", 3L));
        HistoryChecker.Verdict fits = checkMemory(resources("a", 10, 1, "b", 10, 0), Map.of("a", 2L));

        assertThat(undersold.holderUndersold()).isEqualTo(1);
        assertThat(undersold.problems()).singleElement().asString().startsWith("holder undersold: 2 units of a (the part of"
                + " an order of 4 lines that its refusal named) for bot refused HOLDER_LIMIT_REACHED while bot had at most 1"
                + " live, limited to 3: ");
        assertThat(fits.ok()).as(fits.problems().toString()).isTrue();
    }

    @Test
    void check_orderGrantedPastTheHoldersLimit_isOverIt_itsLinesCountingTogether() {
        ops.add(reserve(1, "a", "bot", 1, "RESERVED", 1));
        order(0, 2, "RESERVED", -1, line("a", "bot", 1, 21), line("a", "bot", 1, 22));

        HistoryChecker.Verdict over = checkMemory(resources("a", 10, 3), Map.of("a", 2L));
        HistoryChecker.Verdict fits = checkMemory(resources("a", 10, 3), Map.of("a", 3L));

        assertThat(over.overHolderLimit()).isEqualTo(1);
        assertThat(over.problems()).anyMatch(p -> p.startsWith("over the holder limit: bot was granted 2 of a while 1 of"
                + " theirs certainly counted, limited to 2: "));
        assertThat(fits.ok()).as(fits.problems().toString()).isTrue();
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

    /** A line of an order: what it asks for, and the reservation it got (0 for none). */
    private record Line(String resourceId, String holderId, int quantity, long id) {}

    private static Line line(String resourceId, String holderId, int quantity, long id) {
        return new Line(resourceId, holderId, quantity, id);
    }

    /** An order call after all before it, one operation per line; {@code result} is the order's answer. */
    private void order(int thread, long orderId, String result, int failedLine, Line... lines) {
        Op.Outcome outcome = switch (result) {
            case "RESERVED", "REPLAYED" -> Op.Outcome.OK;
            case "OutcomeUnknownException" -> Op.Outcome.UNKNOWN;
            default -> Op.Outcome.FAIL;
        };
        long invoked = wall++;
        long completed = wall++;
        for (int i = 0; i < lines.length; i++) {
            Line l = lines[i];
            ops.add(new Op(0, thread, Op.Kind.ORDER, l.resourceId(), l.holderId(), l.quantity(), "", invoked, completed,
                    outcome, result, l.id(), 1, 0, 0, 0, 0, orderId, i, failedLine));
        }
    }

    /** A reserve of {@code quantity} after all before it. */
    private Op reserve(int thread, String resourceId, String holderId, int quantity, String result, long id) {
        return new Op(0, thread, Op.Kind.RESERVE, resourceId, holderId, quantity, "", wall++, wall++,
                result.equals("RESERVED") ? Op.Outcome.OK : Op.Outcome.FAIL, result, id, 1);
    }

    /** A reserve or a release at the wall-clock times given. */
    private static Op timed(int thread, Op.Kind kind, String resourceId, String holderId, int quantity, String result,
                            long id, long invoked, long completed) {
        Op.Outcome outcome = result.equals("RESERVED") || result.equals("true") ? Op.Outcome.OK : Op.Outcome.FAIL;
        return new Op(0, thread, kind, resourceId, holderId, quantity, "", invoked, completed, outcome, result, id,
                kind == Op.Kind.RESERVE ? 1 : 0);
    }

    /** Resources by id, each with {@code capacity, counter}: {@code resources("a", 2, 1, "b", 2, 0)}. */
    private static Map<String, long[]> resources(Object... idCapacityCounter) {
        Map<String, long[]> resources = new java.util.LinkedHashMap<>();
        for (int i = 0; i < idCapacityCounter.length; i += 3) {
            resources.put((String) idCapacityCounter[i], new long[] {((Number) idCapacityCounter[i + 1]).longValue(),
                    ((Number) idCapacityCounter[i + 2]).longValue()});
        }
        return resources;
    }

    private static Snapshot.Row row(long id, String resourceId, String holderId, int quantity) {
        return new Snapshot.Row(id, resourceId, holderId, quantity, "", false, false, 0, 0, 0);
    }

    private static Snapshot.Row released(Snapshot.Row row) {
        return new Snapshot.Row(row.id(), row.resourceId(), row.holderId(), row.quantity(), row.key(), true, false, 0, 0, T);
    }

    private static Map<Long, Snapshot.Row> rows(Snapshot.Row... rows) {
        Map<Long, Snapshot.Row> byId = new java.util.LinkedHashMap<>();
        for (Snapshot.Row row : rows) {
            byId.put(row.id(), row);
        }
        return byId;
    }

    private HistoryChecker.Verdict checkRows(Map<String, long[]> resources, Map<String, Long> limits,
                                             Map<Long, Snapshot.Row> rows) {
        return check(resources, limits, rows, 0);
    }

    private HistoryChecker.Verdict checkMemory(Map<String, long[]> resources, Map<String, Long> limits) {
        return check(resources, limits, null, 0);
    }

    /** The history so far against resources of {@code capacity, counter}, the rows (null: none, as in memory). */
    private HistoryChecker.Verdict check(Map<String, long[]> resources, Map<String, Long> limits,
                                         Map<Long, Snapshot.Row> rows, long clockAtEnd) {
        Map<String, Snapshot.ResourceState> states = new java.util.LinkedHashMap<>();
        Map<String, Long> capacities = new java.util.LinkedHashMap<>();
        resources.forEach((id, cc) -> {
            states.put(id, new Snapshot.ResourceState(id, cc[0], cc[1]));
            capacities.put(id, cc[0]);
        });
        return HistoryChecker.check(ops, new Snapshot(states, rows, clockAtEnd), capacities, limits, false);
    }

    private HistoryChecker.Verdict check(long capacity, long counter, boolean underFaults) {
        Snapshot snapshot = new Snapshot(Map.of("r", new Snapshot.ResourceState("r", capacity, counter)), null);
        return HistoryChecker.check(ops, snapshot, Map.of("r", capacity), underFaults);
    }
}
