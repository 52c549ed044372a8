package dev.capacity.stress.internal;

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
 * @param operations calls made (an order counts once per line)
 * @param reserves reserve calls
 * @param attempts the strategy's attempts over all reserve calls (transactions, for the databases),
 *     and one per order call (an order does not report its attempts)
 * @param grants RESERVED answers to reserves
 * @param grantedUnits units granted by them and by the orders answered RESERVED
 * @param replayed REPLAYED answers (a repeated idempotency key), of reserves and orders
 * @param refused INSUFFICIENT_CAPACITY answers, of reserves and orders
 * @param contended CONTENDED answers, of reserves and orders
 * @param unavailable calls that found the store unreachable
 * @param elapsedNanos how long the race ran
 * @param p50Micros median reserve latency
 * @param p99Micros 99th percentile reserve latency
 * @param maxMicros slowest reserve
 * @param retriesPerGrant the strategy's own extra attempts per RESERVED answer
 * @param holds holds granted: RESERVED answers to reserves that made a hold, and held lines of orders answered RESERVED
 * @param confirmed confirms answered CONFIRMED
 * @param confirmsExpired confirms answered EXPIRED: the hold had run out
 * @param orders order calls ({@code reserveAll})
 * @param ordersGranted orders answered RESERVED
 * @param ordersRefused orders answered INSUFFICIENT_CAPACITY or HOLDER_LIMIT_REACHED
 * @param holderLimited HOLDER_LIMIT_REACHED answers, of reserves and orders
 * @param verdict what the history checker found (with the holds that expired and the units
 *     reclaimed from them)
 * @param replay the command that runs this race again
 * @param latencyMicros request latencies at each of {@link #QUANTILES}: the distribution
 * @param timeline requests answered per second in each of {@link #TIMELINE_BUCKETS} equal slices
 *     of the race's time, first to last
 */
public record RaceReport(String strategy, String database, String workload, long seed, int threads, long operations,
                         long reserves, long attempts, long grants, long grantedUnits, long replayed, long refused, long contended,
                         long unavailable, long elapsedNanos, long p50Micros, long p99Micros, long maxMicros,
                         double retriesPerGrant, long holds, long confirmed, long confirmsExpired, long orders,
                         long ordersGranted, long ordersRefused, long holderLimited, HistoryChecker.Verdict verdict,
                         String replay, long[] latencyMicros, double[] timeline) {

    /** The quantiles of {@link #latencyMicros}: 0 (the fastest) to 1 (the slowest). */
    public static final double[] QUANTILES = {0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1};
    /** The slices of {@link #timeline}. */
    public static final int TIMELINE_BUCKETS = 40;

    static RaceReport of(RaceHarness.Race race, int threads, List<Op> ops, long elapsedNanos,
                         HistoryChecker.Verdict verdict) {
        List<Op> reserves = ops.stream().filter(o -> o.kind() == Op.Kind.RESERVE).toList();
        List<Op> orders = ops.stream().filter(Op::firstLine).toList();
        // every request: a reserve, or an order (its first line)
        List<Op> requests = ops.stream().filter(o -> o.kind() == Op.Kind.RESERVE || o.firstLine()).toList();
        long[] latencies = requests.stream().mapToLong(Op::latencyMicros).sorted().toArray();
        List<Op> grants = reserves.stream().filter(o -> "RESERVED".equals(o.result())).toList();
        long retries = grants.stream().mapToLong(o -> Math.max(0, o.attempts() - 1)).sum();
        long orderUnits = ops.stream().filter(o -> o.kind() == Op.Kind.ORDER && o.granted() && "RESERVED".equals(o.result()))
                .mapToLong(Op::quantity).sum();
        return new RaceReport(race.strategy(), race.database(), race.workload(), race.seed(), threads, ops.size(),
                reserves.size(), reserves.stream().mapToLong(Op::attempts).sum() + orders.size(), grants.size(),
                grants.stream().mapToLong(Op::quantity).sum() + orderUnits,
                requests.stream().filter(o -> "REPLAYED".equals(o.result())).count(),
                requests.stream().filter(o -> "INSUFFICIENT_CAPACITY".equals(o.result())).count(),
                requests.stream().filter(o -> "CONTENDED".equals(o.result())).count(),
                ops.stream().filter(o -> (o.kind() != Op.Kind.ORDER || o.firstLine())
                        && "StoreUnavailableException".equals(o.result())).count(), elapsedNanos,
                percentile(latencies, 0.50), percentile(latencies, 0.99),
                latencies.length == 0 ? 0 : latencies[latencies.length - 1],
                grants.isEmpty() ? 0 : (double) retries / grants.size(),
                grants.stream().filter(o -> o.expiresAtMicros() != 0).count() + ops.stream().filter(o -> o.kind() == Op.Kind.ORDER
                        && o.granted() && "RESERVED".equals(o.result()) && o.expiresAtMicros() != 0).count(),
                ops.stream().filter(o -> o.answered(Op.Kind.CONFIRM, "CONFIRMED")).count(),
                ops.stream().filter(o -> o.answered(Op.Kind.CONFIRM, "EXPIRED")).count(), orders.size(),
                orders.stream().filter(o -> "RESERVED".equals(o.result())).count(),
                orders.stream().filter(o -> "INSUFFICIENT_CAPACITY".equals(o.result())
                        || "HOLDER_LIMIT_REACHED".equals(o.result())).count(),
                requests.stream().filter(Op::holderLimited).count(), verdict, race.replay(),
                Arrays.stream(QUANTILES).mapToLong(q -> percentile(latencies, q)).toArray(),
                timeline(requests, elapsedNanos));
    }

    /** Requests answered per second in each slice of the race's time, counted by when they completed. */
    private static double[] timeline(List<Op> requests, long elapsedNanos) {
        double[] perSecond = new double[TIMELINE_BUCKETS];
        if (requests.isEmpty() || elapsedNanos <= 0) {
            return perSecond;
        }
        long start = requests.stream().mapToLong(Op::invokedMicros).min().orElse(0);
        double sliceMicros = Math.max(1, elapsedNanos / 1000.0 / TIMELINE_BUCKETS);
        for (Op o : requests) {
            int slice = (int) Math.min(TIMELINE_BUCKETS - 1, Math.max(0, (o.completedMicros() - start) / sliceMicros));
            perSecond[slice]++;
        }
        for (int i = 0; i < TIMELINE_BUCKETS; i++) {
            perSecond[i] = perSecond[i] * 1e6 / sliceMicros;
        }
        return perSecond;
    }

    /** The {@code p} quantile (0 to 1) of {@code sorted}, by the nearest rank; 0 for none. */
    public static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1))];
    }

    public boolean ok() {
        return verdict.ok();
    }

    /** Requests per second: reserve calls and order calls. */
    public double throughput() {
        return elapsedNanos == 0 ? 0 : (reserves + orders) * 1e9 / elapsedNanos;
    }

    /** A table of reports, one line each, with the verdicts and the problems of any that failed. */
    public static String table(List<RaceReport> reports) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-20s %-11s %-15s %8s %8s %7s %6s %6s %8s %7s %7s %5s %5s %5s %5s %6s %6s %6s  %s%n",
                "strategy", "database", "workload", "reserves", "granted", "refused", "contnd", "unknwn", "ops/s", "p99 ms",
                "retries", "holds", "confd", "expd", "recl", "orders", "ord-ok", "limitd", "verdict (oversold undersold"
                        + " ledger lost unexpected dup-keys errors stuck late-confirms ended-twice half-orders"
                        + " over-holder-limit holder-undersold)"));
        for (RaceReport r : reports) {
            HistoryChecker.Verdict v = r.verdict();
            out.append(String.format(Locale.ROOT, "%-20s %-11s %-15s %8d %8d %7d %6d %6d %8.0f %7.1f %7.2f %5d %5d %5d %5d"
                            + " %6d %6d %6d  %s%n",
                    r.strategy(), r.database(), r.workload(), r.reserves(), r.grantedUnits(), r.refused(), r.contended(),
                    v.unknown(), r.throughput(), r.p99Micros() / 1000.0, r.retriesPerGrant(), r.holds(), r.confirmed(),
                    v.expiredHolds(), v.reclaimedUnits(), r.orders(), r.ordersGranted(), r.holderLimited(),
                    r.ok() ? "ok" : String.format("VIOLATED %d %d %d %d %d %d %d %d %d %d %d %d %d", v.oversold(),
                            v.undersold(), v.ledger(), v.lost(), v.unexpected(), v.duplicateKeys(), v.errors(), v.stuck(),
                            v.lateConfirms(), v.endedTwice(), v.halfOrders(), v.overHolderLimit(), v.holderUndersold())));
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
