package dev.capacity.stress.faults;

import dev.capacity.stress.internal.RaceReport;

import java.util.List;
import java.util.Locale;

/** The fault suite's outcomes as tables, and throughput under faults as a share of the fault-free race's. */
public final class FaultReport {

    private FaultReport() {
    }

    /** Throughput of {@code outcome} as a share of the fault-free race of its strategy and round, or NaN. */
    public static double ratio(List<RaceOutcome> outcomes, RaceOutcome outcome) {
        return outcomes.stream()
                .filter(o -> o.strategy().equals(outcome.strategy()) && o.fault() == Fault.NONE && o.round() == outcome.round())
                .mapToDouble(o -> outcome.answeredPerSecond() / o.answeredPerSecond()).findFirst().orElse(Double.NaN);
    }

    /** The median over the rounds of the throughput ratio of {@code strategy} under {@code fault}, or NaN. */
    public static double medianRatio(List<RaceOutcome> outcomes, String strategy, Fault fault) {
        double[] ratios = ratios(outcomes, strategy, fault);
        if (ratios.length == 0) {
            return Double.NaN;
        }
        int middle = ratios.length / 2;
        return ratios.length % 2 == 1 ? ratios[middle] : (ratios[middle - 1] + ratios[middle]) / 2;
    }

    /** The throughput ratios of {@code strategy} under {@code fault}, one per round, sorted. */
    private static double[] ratios(List<RaceOutcome> outcomes, String strategy, Fault fault) {
        return outcomes.stream().filter(o -> o.strategy().equals(strategy) && o.fault() == fault)
                .mapToDouble(o -> ratio(outcomes, o)).filter(r -> !Double.isNaN(r)).sorted().toArray();
    }

    /**
     * Throughput under each fault of {@link Fault#PAIRED} as a share of the fault-free race's, per
     * strategy: the median over the rounds and the range.
     */
    public static String throughputTable(List<RaceOutcome> outcomes) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-19s", "throughput ratio"));
        List<Fault> faults = Fault.PAIRED.subList(1, Fault.PAIRED.size());
        for (Fault fault : faults) {
            out.append(String.format(Locale.ROOT, " %-24s", fault.name().toLowerCase(Locale.ROOT) + " (median, range)"));
        }
        out.append('\n');
        for (String strategy : outcomes.stream().map(RaceOutcome::strategy).distinct().toList()) {
            out.append(String.format(Locale.ROOT, "%-19s", strategy));
            for (Fault fault : faults) {
                double[] ratios = ratios(outcomes, strategy, fault);
                out.append(ratios.length == 0 ? String.format(Locale.ROOT, " %-24s", "-")
                        : String.format(Locale.ROOT, " %-24s", String.format(Locale.ROOT, "%.2f  %.2f-%.2f (%d)",
                                medianRatio(outcomes, strategy, fault), ratios[0], ratios[ratios.length - 1], ratios.length)));
            }
            out.append('\n');
        }
        return out.toString();
    }

    /**
     * The outcomes as a table, with the checker's problems of any race that broke an invariant.
     * The column "confirmed" counts the confirms answered CONFIRMED, "orders" the orders granted,
     * "limited" the requests refused at a holder's limit; "took" how long the race ran; "whole"
     * shows how long the pool took to have every connection back and open.
     */
    public static String table(List<RaceOutcome> outcomes) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-19s %-14s %5s %8s %6s %9s %6s %8s %9s %7s %7s %8s %7s %7s %8s %6s %6s %7s  %-9s %s%n",
                "strategy", "fault", "round", "injected", "took", "answers/s", "ratio", "granted", "confirmed", "orders", "limited", "p99",
                "unknown", "keyed", "slowest", "new", "pool", "whole", "verdict", "faults by kind"));
        for (RaceOutcome o : outcomes) {
            out.append(String.format(Locale.ROOT, "%-19s %-14s %5d %8d %5.1fs %9.0f %6s %7.0f%% %9d %7d %7d %6.1fms %7d %7d %6.0fms %6d %3d/%-2d %7s  %-9s %s%n",
                    o.strategy(), o.fault().name().toLowerCase(Locale.ROOT), o.round() + 1, o.injected(), o.report().elapsedNanos() / 1e9, o.answeredPerSecond(),
                    o.fault() == Fault.NONE ? "" : String.format(Locale.ROOT, "%.2f", ratio(outcomes, o)),
                    o.report().reserves() == 0 ? 0.0 : 100.0 * o.report().grants() / o.report().reserves(),
                    o.report().confirmed(), o.report().ordersGranted(), o.report().holderLimited(), o.report().p99Micros() / 1000.0,
                    o.unkeyedUnknown(), o.keyedUnknown(), o.slowestFailureMicros() / 1000.0, o.newConnections(),
                    o.activeAfter(), o.totalAfter(), o.refillMillis() < 0 ? "never" : o.refillMillis() + "ms",
                    o.invariantsHold() ? "ok" : "VIOLATED", o.injectedDetail()));
        }
        List<RaceReport> broken = outcomes.stream().map(RaceOutcome::report).filter(r -> !r.ok()).toList();
        if (!broken.isEmpty()) {
            out.append('\n').append(RaceReport.table(broken));
        }
        return out.toString();
    }
}
