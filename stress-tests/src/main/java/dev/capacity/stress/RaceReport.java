package dev.capacity.stress;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The numbers and the verdict of one race.
 *
 * @param strategy the strategy's name
 * @param database the store's name
 * @param workload the scenario or plan that ran
 * @param seed the seed of the plan
 * @param threads racing threads
 * @param operations calls made
 * @param reserves reserve calls
 * @param attempts the strategy's attempts over all reserve calls (transactions, for the databases)
 * @param grants RESERVED answers
 * @param grantedUnits units granted by them
 * @param replayed REPLAYED answers (a repeated idempotency key)
 * @param refused INSUFFICIENT_CAPACITY answers
 * @param contended CONTENDED answers
 * @param unavailable calls that found the store unreachable
 * @param elapsedNanos how long the race ran
 * @param p50Micros median reserve latency
 * @param p99Micros 99th percentile reserve latency
 * @param maxMicros slowest reserve
 * @param retriesPerGrant the strategy's own extra attempts per RESERVED answer
 * @param holds RESERVED answers that made a hold
 * @param confirmed confirms answered CONFIRMED
 * @param confirmsExpired confirms answered EXPIRED: the hold had run out
 * @param verdict what the history checker found (with the holds that expired and the units
 *     reclaimed from them)
 * @param replay the command that runs this race again
 */
public record RaceReport(String strategy, String database, String workload, long seed, int threads, long operations,
                         long reserves, long attempts, long grants, long grantedUnits, long replayed, long refused, long contended,
                         long unavailable, long elapsedNanos, long p50Micros, long p99Micros, long maxMicros,
                         double retriesPerGrant, long holds, long confirmed, long confirmsExpired,
                         HistoryChecker.Verdict verdict, String replay) {

    static RaceReport of(RaceHarness.Race race, int threads, List<Op> ops, long elapsedNanos,
                         HistoryChecker.Verdict verdict) {
        List<Op> reserves = ops.stream().filter(o -> o.kind() == Op.Kind.RESERVE).toList();
        long[] latencies = reserves.stream().mapToLong(Op::latencyMicros).sorted().toArray();
        List<Op> grants = reserves.stream().filter(o -> "RESERVED".equals(o.result())).toList();
        long retries = grants.stream().mapToLong(o -> Math.max(0, o.attempts() - 1)).sum();
        return new RaceReport(race.strategy(), race.database(), race.workload(), race.seed(), threads, ops.size(),
                reserves.size(), reserves.stream().mapToLong(Op::attempts).sum(), grants.size(),
                grants.stream().mapToLong(Op::quantity).sum(),
                reserves.stream().filter(o -> "REPLAYED".equals(o.result())).count(),
                reserves.stream().filter(Op::refused).count(),
                reserves.stream().filter(o -> "CONTENDED".equals(o.result())).count(),
                ops.stream().filter(o -> "StoreUnavailableException".equals(o.result())).count(), elapsedNanos,
                percentile(latencies, 0.50), percentile(latencies, 0.99),
                latencies.length == 0 ? 0 : latencies[latencies.length - 1],
                grants.isEmpty() ? 0 : (double) retries / grants.size(),
                grants.stream().filter(o -> o.expiresAtMicros() != 0).count(),
                ops.stream().filter(o -> o.answered(Op.Kind.CONFIRM, "CONFIRMED")).count(),
                ops.stream().filter(o -> o.answered(Op.Kind.CONFIRM, "EXPIRED")).count(), verdict, race.replay());
    }

    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1))];
    }

    public boolean ok() {
        return verdict.ok();
    }

    /** Reserve calls per second. */
    public double throughput() {
        return elapsedNanos == 0 ? 0 : reserves * 1e9 / elapsedNanos;
    }

    /** A table of reports, one line each, with the verdicts and the problems of any that failed. */
    public static String table(List<RaceReport> reports) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-20s %-11s %-8s %8s %8s %7s %6s %6s %8s %7s %7s %5s %5s %5s %5s  %s%n", "strategy",
                "database", "workload", "reserves", "granted", "refused", "contnd", "unknwn", "ops/s", "p99 ms", "retries",
                "holds", "confd", "expd", "recl", "verdict (oversold undersold ledger lost unexpected dup-keys errors"
                        + " stuck late-confirms ended-twice)"));
        for (RaceReport r : reports) {
            HistoryChecker.Verdict v = r.verdict();
            out.append(String.format(Locale.ROOT, "%-20s %-11s %-8s %8d %8d %7d %6d %6d %8.0f %7.1f %7.2f %5d %5d %5d %5d  %s%n",
                    r.strategy(), r.database(), r.workload(), r.reserves(), r.grantedUnits(), r.refused(), r.contended(),
                    v.unknown(), r.throughput(), r.p99Micros() / 1000.0, r.retriesPerGrant(), r.holds(), r.confirmed(),
                    v.expiredHolds(), v.reclaimedUnits(),
                    r.ok() ? "ok" : String.format("VIOLATED %d %d %d %d %d %d %d %d %d %d", v.oversold(), v.undersold(),
                            v.ledger(), v.lost(), v.unexpected(), v.duplicateKeys(), v.errors(), v.stuck(),
                            v.lateConfirms(), v.endedTwice())));
        }
        for (RaceReport r : reports) {
            if (!r.ok()) {
                out.append(String.format("%nVIOLATED: %s on %s, %s (seed %d):%n", r.strategy(), r.database(),
                        r.workload(), r.seed()));
                r.verdict().problems().forEach(p -> out.append("  ").append(p).append('\n'));
                if (r.replay() != null) {
                    out.append("  replay: ").append(r.replay()).append('\n');
                }
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return table(Arrays.asList(this));
    }
}
