package dev.capacity.stress;

import dev.capacity.stress.internal.HistoryChecker;
import dev.capacity.stress.internal.Op;
import dev.capacity.stress.internal.RaceReport;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What one {@link Race} did, and what its history check found. This class is immutable and
 * threadsafe.
 */
public final class RaceResult {

    private final String name;
    private final RaceReport report;
    private final boolean rowsChecked;
    private final long p90Micros;

    private RaceResult(String name, RaceReport report, boolean rowsChecked, long p90Micros) {
        this.name = name;
        this.report = report;
        this.rowsChecked = rowsChecked;
        this.p90Micros = p90Micros;
    }

    static RaceResult of(String name, RaceReport report, List<Op> ops, boolean rowsChecked) {
        long[] latencies = ops.stream().filter(op -> op.kind() == Op.Kind.RESERVE).mapToLong(Op::latencyMicros).sorted()
                .toArray();
        return new RaceResult(name, report, rowsChecked, RaceReport.percentile(latencies, 0.90));
    }

    /** What the race raced: {@code <database>/<strategy>} for a strategy of {@link AllStrategies}, else the strategy's name. */
    public String name() {
        return name;
    }

    /** The strategy's {@link dev.capacity.ReservationStrategy#name()}. */
    public String strategy() {
        return report.strategy();
    }

    /** The seed of the race's choices: {@link Race#seed(long)} with it replays them. */
    public long seed() {
        return report.seed();
    }

    public int threads() {
        return report.threads();
    }

    /** Calls of the operation, each try of a call answered CONTENDED counted. */
    public long calls() {
        return report.reserves();
    }

    /** Units granted: by the calls answered RESERVED (a double submit's replay is not counted twice). */
    public long reservedUnits() {
        return report.grantedUnits();
    }

    /** Calls answered REPLAYED: the second call of a double submit, answered with the first one's reservation. */
    public long replayed() {
        return report.replayed();
    }

    /** Calls answered INSUFFICIENT_CAPACITY. */
    public long refused() {
        return report.refused();
    }

    /** Calls answered CONTENDED (each was tried again). */
    public long contended() {
        return report.contended();
    }

    /** The strategy's own extra attempts per call answered RESERVED (lost races it retried inside the call). */
    public double retriesPerReservation() {
        return report.retriesPerGrant();
    }

    /** Calls per second, over the whole race. */
    public double throughput() {
        return report.throughput();
    }

    public Duration elapsed() {
        return Duration.ofNanos(report.elapsedNanos());
    }

    public Duration p50() {
        return Duration.ofNanos(report.p50Micros() * 1_000);
    }

    public Duration p90() {
        return Duration.ofNanos(p90Micros * 1_000);
    }

    public Duration p99() {
        return Duration.ofNanos(report.p99Micros() * 1_000);
    }

    /** The slowest call. */
    public Duration max() {
        return Duration.ofNanos(report.maxMicros() * 1_000);
    }

    /** Units granted beyond a resource's capacity, over the race: 0 unless the code oversold. */
    public long oversold() {
        return report.verdict().oversold();
    }

    /**
     * Refusals while the units were free, over the race (in requests, with holders refused
     * {@code HOLDER_LIMIT_REACHED} while their limit left room): 0 unless the code undersold.
     */
    public long undersold() {
        return report.verdict().undersold() + report.verdict().holderUndersold();
    }

    /**
     * Calls that failed (an exception, a null answer, a status that does not fit the call) or that
     * were still running at the deadline: 0 unless something broke.
     */
    public long errors() {
        return report.verdict().errors() + report.verdict().stuck();
    }

    /**
     * Whether every reservation row was checked against the answers (the strategy's tables were
     * known); if not, only the counters were.
     */
    public boolean rowsChecked() {
        return rowsChecked;
    }

    /** True if the history check found nothing wrong. */
    public boolean ok() {
        return report.ok();
    }

    /** What the history check found wrong, one line each: empty when {@link #ok()}. */
    public List<String> problems() {
        return report.verdict().problems();
    }

    /**
     * Returns normally if the race was correct; otherwise throws an {@link AssertionError} listing
     * every problem and the seed that replays the race.
     */
    public void assertCorrect() {
        if (!ok()) {
            HistoryChecker.Verdict v = report.verdict();
            StringBuilder message = new StringBuilder(String.format(Locale.ROOT, "%s: the race went wrong (seed %d, "
                            + "rerun with .seed(%d)): oversold %d, undersold %d, ledger %d, lost %d, unexpected %d, "
                            + "duplicate keys %d, errors %d, stuck %d", name, seed(), seed(), v.oversold(), v.undersold(),
                    v.ledger(), v.lost(), v.unexpected(), v.duplicateKeys(), v.errors(), v.stuck()));
            v.problems().stream().limit(20).forEach(p -> message.append("\n  ").append(p));
            if (v.problems().size() > 20) {
                message.append("\n  ... and ").append(v.problems().size() - 20).append(" more");
            }
            throw new AssertionError(message.toString());
        }
    }

    /** One line: the name, the counts, throughput, latencies and the verdict. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %d calls on %d threads, %d units reserved, %d replayed, %d refused,"
                        + " %d contended; %.0f calls/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.1f ms; %s (seed %d)",
                name, calls(), threads(), reservedUnits(), replayed(), refused(), contended(), throughput(),
                report.p50Micros() / 1e3, p90Micros / 1e3, report.p99Micros() / 1e3, report.maxMicros() / 1e3,
                ok() ? "ok" : problems().size() + " problem(s)", seed());
    }
}
