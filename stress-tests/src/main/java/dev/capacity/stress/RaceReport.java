package dev.capacity.stress;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The numbers and the verdict of one race.
 *
 * @param strategy the strategy's name
 * @param database the store's name
 * @param config what was run
 * @param operations calls made
 * @param reserves reserve calls
 * @param grantedUnits units granted (RESERVED answers)
 * @param refused INSUFFICIENT_CAPACITY answers
 * @param contended CONTENDED answers
 * @param unavailable calls that found the store unreachable
 * @param elapsedNanos how long the race ran
 * @param p50Micros median reserve latency
 * @param p99Micros 99th percentile reserve latency
 * @param maxMicros slowest reserve
 * @param retriesPerGrant the strategy's own extra attempts per RESERVED answer
 * @param verdict what the history checker found
 */
public record RaceReport(String strategy, String database, RaceHarness.Config config, long operations, long reserves,
                         long grantedUnits, long refused, long contended, long unavailable, long elapsedNanos,
                         long p50Micros, long p99Micros, long maxMicros, double retriesPerGrant,
                         HistoryChecker.Verdict verdict) {

    static RaceReport of(String strategy, String database, RaceHarness.Config config, List<Op> ops, long elapsedNanos,
                         HistoryChecker.Verdict verdict) {
        List<Op> reserves = ops.stream().filter(o -> o.kind() == Op.Kind.RESERVE).toList();
        long[] latencies = reserves.stream().mapToLong(Op::latencyMicros).sorted().toArray();
        List<Op> grants = reserves.stream().filter(o -> "RESERVED".equals(o.result())).toList();
        long retries = grants.stream().mapToLong(o -> Math.max(0, o.attempts() - 1)).sum();
        return new RaceReport(strategy, database, config, ops.size(), reserves.size(),
                grants.stream().mapToLong(Op::quantity).sum(), reserves.stream().filter(Op::refused).count(),
                reserves.stream().filter(o -> "CONTENDED".equals(o.result())).count(),
                ops.stream().filter(o -> "StoreUnavailableException".equals(o.result())).count(), elapsedNanos,
                percentile(latencies, 0.50), percentile(latencies, 0.99),
                latencies.length == 0 ? 0 : latencies[latencies.length - 1],
                grants.isEmpty() ? 0 : (double) retries / grants.size(), verdict);
    }

    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    }

    public boolean ok() {
        return verdict.ok();
    }

    /** Reserve calls per second. */
    public double throughput() {
        return elapsedNanos == 0 ? 0 : reserves * 1e9 / elapsedNanos;
    }

    /** The command that replays this race. */
    public String replay() {
        return String.format("mvn -q -pl stress-tests -am compile exec:java@harness -Dexec.args=\"--strategies %s --databases %s --scenarios %s --threads %d --capacity %d --seed %d\"",
                strategy, database, config.scenario().name().toLowerCase(Locale.ROOT), config.threads(), config.capacity(),
                config.seed());
    }

    /** A table of reports, one line each, with the verdicts and the problems of any that failed. */
    public static String table(List<RaceReport> reports) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-20s %-9s %-8s %7s %8s %7s %6s %6s %8s %7s %7s  %s%n", "strategy", "database",
                "scenario", "reserves", "granted", "refused", "contnd", "unknwn", "ops/s", "p99 ms", "retries",
                "verdict (oversold undersold ledger lost unexpected dup-keys errors)"));
        for (RaceReport r : reports) {
            HistoryChecker.Verdict v = r.verdict();
            out.append(String.format(Locale.ROOT, "%-20s %-9s %-8s %7d %8d %7d %6d %6d %8.0f %7.1f %7.2f  %s%n",
                    r.strategy(), r.database(), r.config().scenario().name().toLowerCase(Locale.ROOT), r.reserves(),
                    r.grantedUnits(), r.refused(), r.contended(), v.unknown(), r.throughput(), r.p99Micros() / 1000.0,
                    r.retriesPerGrant(), r.ok() ? "ok" : String.format("VIOLATED %d %d %d %d %d %d %d", v.oversold(),
                            v.undersold(), v.ledger(), v.lost(), v.unexpected(), v.duplicateKeys(), v.errors())));
        }
        for (RaceReport r : reports) {
            if (!r.ok()) {
                out.append(String.format("%nVIOLATED: %s on %s, %s (seed %d):%n", r.strategy(), r.database(),
                        r.config().scenario(), r.config().seed()));
                r.verdict().problems().forEach(p -> out.append("  ").append(p).append('\n'));
                out.append("  replay: ").append(r.replay()).append('\n');
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return table(Arrays.asList(this));
    }
}
