package dev.capacity.stress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The checker on small hand-made histories of one resource, "r", that nothing released. */
final class HistoryCheckerTest {

    private final List<Op> ops = new ArrayList<>();
    private long clock = 1_000;

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

    @Test
    void check_releaseAndGrantStampedWithinOneMicrosecond_isNotOversold() {
        granted(0, "h0", 1);
        // both fast: each starts and ends within one microsecond, the release first
        ops.add(new Op(0, 0, Op.Kind.RELEASE, "r", "", 0, "", clock, clock, Op.Outcome.OK, "true", 1, 0));
        ops.add(new Op(0, 1, Op.Kind.RESERVE, "r", "h1", 1, "", clock, clock, Op.Outcome.OK, "RESERVED", 2, 1));

        HistoryChecker.Verdict verdict = check(1, 1, false);

        assertThat(verdict.ok()).as(verdict.problems().toString()).isTrue();
    }

    private void granted(int thread, String holder, long id) {
        ops.add(new Op(0, thread, Op.Kind.RESERVE, "r", holder, 1, "", clock++, clock++, Op.Outcome.OK, "RESERVED", id, 1));
    }

    private void answered(int thread, String holder, String status) {
        ops.add(new Op(0, thread, Op.Kind.RESERVE, "r", holder, 1, "", clock++, clock++, Op.Outcome.FAIL, status, 0, 1));
    }

    private HistoryChecker.Verdict check(long capacity, long counter, boolean underFaults) {
        Snapshot snapshot = new Snapshot(Map.of("r", new Snapshot.ResourceState("r", capacity, counter)), null);
        return HistoryChecker.check(ops, snapshot, Map.of("r", capacity), underFaults);
    }
}
