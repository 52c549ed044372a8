package dev.capacity.stress.bench;

import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedMariaDbServer;
import dev.capacity.stress.internal.EmbeddedPostgresServer;

import dev.capacity.stress.internal.Options;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * Runs {@link ReserveBenchmark} over the matrix of strategies, databases, thread counts and
 * shapes, each combination in a JMH fork of its own, against one PostgreSQL server started here
 * with production durability ({@code fsync} and {@code synchronous_commit} on). Prints a table, the
 * ratios the project's targets are stated in, and whether each is met; writes the same as
 * Markdown.
 *
 * <pre>
 * mvn -q -pl stress-tests -am compile exec:exec@bench                          # short run
 * mvn -q -pl stress-tests -am compile exec:exec@bench -Dbench.args="--profile long"
 * mvn -q -pl stress-tests -am compile exec:exec@bench -Dbench.args="--profile targets"
 * mvn -q -pl stress-tests -am compile exec:exec@bench -Dbench.args="--profile flows"    # holds, limits, orders
 * </pre>
 *
 * <p>Options, each {@code --name value}: {@code profile}, {@code strategies}, {@code databases},
 * {@code threads}, {@code shapes} (comma-separated), {@code repeat} (rounds), {@code out} (the
 * Markdown file), {@code holders} (of the limited shape, 10,000 unless given).
 */
public final class Benchmarks {

    /** One measured combination. */
    record Row(String strategy, String database, String shape, int threads, double throughput, double p50Micros,
               double p99Micros, double bytesPerOp) {}

    /** Iterations and their lengths. */
    /** What a profile measures: each strategy on each database, in each shape at each thread count that {@code only} lets through. */
    record Profile(String name, List<String> strategies, List<String> databases, List<Integer> threads,
                   List<String> shapes, int warmups, int warmupSeconds, int measurements, int measurementSeconds,
                   int repeats, BiPredicate<String, Integer> only) {

        Profile(String name, List<String> strategies, List<String> databases, List<Integer> threads, List<String> shapes,
                int warmups, int warmupSeconds, int measurements, int measurementSeconds, int repeats) {
            this(name, strategies, databases, threads, shapes, warmups, warmupSeconds, measurements, measurementSeconds,
                    repeats, (shape, count) -> true);
        }
    }

    /**
     * Warm-up iterations and their length for every profile but short, smoke and long: H2's code
     * takes the JIT about 8 s to compile on 2 cores (conditional-update on one thread, H2 in memory,
     * 2 s iterations from a cold JVM on 2026-12-01: 13,637, 68,342, 72,662, 102,607, then 97,000 to
     * 119,000 reservations/s), so a 1 s warm-up left the measured seconds mostly unwarmed.
     */
    static final int WARMUPS = 3;
    static final int WARMUP_SECONDS = 2;

    static final List<String> ALL_STRATEGIES = List.of("jdbc-baseline", "conditional-update", "pessimistic-lock",
            "optimistic-version", "unique-slots", "combining", "in-memory");

    static Profile profile(String name) {
        return switch (name) {
            case "short" -> new Profile(name, ALL_STRATEGIES, List.of("h2", "h2-file", "postgres"), List.of(1, 8, 64),
                    List.of("hot", "uniform"), 1, 1, 1, 3, 1);
            case "long" -> new Profile(name, ALL_STRATEGIES, List.of("h2", "h2-file", "postgres"), List.of(1, 8, 64),
                    List.of("hot", "uniform"), 2, 3, 3, 5, 3);
            case "targets" -> new Profile(name, ALL_STRATEGIES, List.of("h2", "postgres"), List.of(1, 64),
                    List.of("hot"), WARMUPS, WARMUP_SECONDS, 1, 4, 3);
            case "smoke" -> new Profile(name, List.of("jdbc-baseline", "conditional-update"), List.of("h2"), List.of(2),
                    List.of("hot"), 0, 1, 1, 1, 1);
            // a resource that carries 10,000 live and 10,000 expired holds, against one without, and against
            // one that carries 20,000 permanent reservations (what the holds cost beyond the rows or entries)
            case "holds" -> new Profile(name, ALL_STRATEGIES, List.of("h2", "postgres"), List.of(1),
                    List.of("hot", "held", "booked"), WARMUPS, WARMUP_SECONDS, 1, 4, 3);
            // a resource with a per-holder limit (10,000 holders), against one without
            case "limits" -> new Profile(name, ALL_STRATEGIES.stream().filter(kind -> !kind.equals("jdbc-baseline")).toList(),
                    List.of("h2", "postgres"), List.of(1, 16), List.of("hot", "limited"), WARMUPS, WARMUP_SECONDS, 1, 4, 3);
            // an order of one unit on each of three resources, against one reservation
            case "orders" -> new Profile(name, ALL_STRATEGIES.stream().filter(kind -> !kind.equals("jdbc-baseline")).toList(),
                    List.of("h2", "postgres"), List.of(1), List.of("hot", "order"), WARMUPS, WARMUP_SECONDS, 1, 4, 3);
            // what a Handle per transaction costs: a strategy built on a Jdbi against one built on its DataSource
            case "connections" -> new Profile(name, List.of("jdbc-baseline", "conditional-update",
                    "conditional-update" + ReserveBenchmark.VIA_JDBI), List.of("h2", "postgres"), List.of(1),
                    List.of("hot"), WARMUPS, WARMUP_SECONDS, 1, 4, 5);
            // MariaDB beside PostgreSQL: the library against hand-written JDBC, combining against conditional-update
            case "mariadb" -> new Profile(name, List.of("jdbc-baseline", "conditional-update", "combining"),
                    List.of("postgres", "mariadb"), List.of(1, 64), List.of("hot"), WARMUPS, WARMUP_SECONDS, 1, 4, 3);
            // what MicrometerListener costs: each strategy with and without it, 16 threads on H2 (issue 18: <= 5%)
            case "metrics" -> new Profile(name, List.of("conditional-update", "conditional-update" + ReserveBenchmark.METERED,
                    "combining", "combining" + ReserveBenchmark.METERED, "in-memory", "in-memory" + ReserveBenchmark.METERED),
                    List.of("h2"), List.of(16), List.of("hot"), WARMUPS, WARMUP_SECONDS, 1, 4, 5);
            // combining against the physical limit: one thread committing whole batches by hand
            case "ceiling" -> new Profile(name, List.of(ReserveBenchmark.CEILING, "combining", "conditional-update",
                    "jdbc-baseline"), List.of("postgres", "mariadb"), List.of(64), List.of("hot"), WARMUPS, WARMUP_SECONDS, 1, 4, 3);
            // the flows' targets in one run, so that a regression shows: holds and orders at 1 thread, limits at 16,
            // each against the hot shape at the same thread count
            case "flows" -> new Profile(name, ALL_STRATEGIES.stream().filter(kind -> !kind.equals("jdbc-baseline")).toList(),
                    List.of("h2", "postgres"), List.of(1, 16), List.of("hot", "held", "limited", "order"), WARMUPS, WARMUP_SECONDS, 1, 4, 3,
                    (shape, threads) -> shape.equals("hot") || threads == (shape.equals("limited") ? 16 : 1));
            default -> throw new IllegalArgumentException("unknown profile '" + name + "'; known: short, long, targets, holds,"
                    + " limits, orders, flows, connections, mariadb, ceiling, metrics, smoke");
        };
    }

    /** The holders of the limited shape ({@code --holders}); see {@link ReserveBenchmark#HOLDERS}. */
    private static int holders = ReserveBenchmark.DEFAULT_HOLDERS;

    private Benchmarks() {}

    public static void main(String[] args) throws RunnerException, IOException {
        Map<String, String> options = Options.parse(args, "profile", "strategies", "databases", "threads", "shapes", "repeat", "out", "holders");
        Profile base = profile(options.getOrDefault("profile", "short"));
        Profile profile = new Profile(base.name(), list(options, "strategies", base.strategies()),
                list(options, "databases", base.databases()),
                list(options, "threads", base.threads().stream().map(String::valueOf).toList()).stream()
                        .map(Integer::parseInt).toList(),
                list(options, "shapes", base.shapes()), base.warmups(), base.warmupSeconds(), base.measurements(),
                base.measurementSeconds(), Integer.parseInt(options.getOrDefault("repeat", String.valueOf(base.repeats()))),
                base.only());
        Path out = Path.of(options.getOrDefault("out", "target/benchmarks.md"));
        holders = Integer.parseInt(options.getOrDefault("holders", String.valueOf(holders)));
        if (holders < 1) {
            throw new IllegalArgumentException("--holders must be at least 1, was " + holders);
        }
        List<Row> rows = run(profile);
        String report = report(profile, rows);
        System.out.println();
        System.out.println(report);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("written to " + out.toAbsolutePath());
    }

    private static List<String> list(Map<String, String> options, String name, List<String> fallback) {
        String value = options.get(name);
        return value == null ? fallback : Arrays.asList(value.split(","));
    }

    /**
     * Runs every combination {@code profile.repeats()} times and keeps, for each, the run with the
     * median throughput. Each round runs the strategies in another order (rotated), so that a
     * database that drifts during the run (a disk that flushes slower, a host that gets busier)
     * does not always favour the same strategy.
     */
    static List<Row> run(Profile profile) throws RunnerException, IOException {
        Map<String, List<Row>> runs = new LinkedHashMap<>();
        EmbeddedPostgresServer postgres = profile.databases().contains("postgres")
                ? EmbeddedPostgresServer.start(Durability.DURABLE) : null;
        EmbeddedMariaDbServer mariadb = profile.databases().contains("mariadb")
                ? EmbeddedMariaDbServer.start(Durability.DURABLE) : null;
        Path h2File = Files.createTempDirectory("bench-h2").resolve("bench");
        try {
            for (int round = 0; round < profile.repeats(); round++) {
                List<String> order = new ArrayList<>(profile.strategies());
                java.util.Collections.rotate(order, -round);
                for (String database : profile.databases()) {
                    for (String shape : profile.shapes()) {
                        for (int threads : profile.threads()) {
                            for (String strategy : order) {
                                if (strategy.startsWith("in-memory") && !database.equals(profile.databases().get(0))
                                        || !profile.only().test(shape, threads)) {
                                    continue;
                                }
                                String where = strategy.startsWith("in-memory") ? "memory" : database;
                                System.out.printf(Locale.ROOT, "round %d/%d  %-19s %-8s %-7s %2d threads ... ", round + 1,
                                        profile.repeats(), strategy, where, shape, threads);
                                System.out.flush();
                                Row row = runOne(profile, strategy, database, where, shape, threads, postgres, mariadb,
                                        h2File);
                                runs.computeIfAbsent(strategy + "|" + where + "|" + shape + "|" + threads,
                                        k -> new ArrayList<>()).add(row);
                                System.out.printf(Locale.ROOT, "%,10.0f ops/s  p99 %8.1f us  %,8.0f B/op%n",
                                        row.throughput(), row.p99Micros(), row.bytesPerOp());
                            }
                        }
                    }
                }
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
            if (mariadb != null) {
                mariadb.close();
            }
        }
        List<Row> rows = new ArrayList<>();
        for (List<Row> same : runs.values()) {
            List<Row> sorted = new ArrayList<>(same);
            sorted.sort(java.util.Comparator.comparingDouble(Row::throughput));
            rows.add(sorted.get(sorted.size() / 2));
        }
        return rows;
    }

    private static Row runOne(Profile profile, String strategy, String database, String where, String shape, int threads,
                              EmbeddedPostgresServer postgres, EmbeddedMariaDbServer mariadb, Path h2File)
            throws RunnerException {
        boolean ceiling = strategy.equals(ReserveBenchmark.CEILING);
        ChainedOptionsBuilder builder = new OptionsBuilder()
                .include(ReserveBenchmark.class.getName() + ".reserve")
                .param("strategy", strategy).param("database", database).param("shape", shape)
                .param("threads", String.valueOf(threads))
                // the ceiling is one thread granting a batch of `threads` units per operation
                .threads(ceiling ? 1 : threads).forks(1)
                .warmupIterations(profile.warmups()).warmupTime(TimeValue.seconds(profile.warmupSeconds()))
                .measurementIterations(profile.measurements())
                .measurementTime(TimeValue.seconds(profile.measurementSeconds()))
                .jvmArgsAppend("-Xmx1g", "-Dbench.h2.file=" + h2File, "-Dbench.holders=" + holders,
                        "-Dbench.postgres.url=" + (postgres == null ? "" : postgres.database().jdbcUrl()),
                        "-Dbench.mariadb.url=" + (mariadb == null ? "" : mariadb.database().jdbcUrl()))
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
        RunResult result = new Runner(builder.build()).runSingle();
        Statistics statistics = result.getPrimaryResult().getStatistics();
        double meanMicros = statistics.getMean();
        Result alloc = result.getSecondaryResults().get("gc.alloc.rate.norm");
        BenchmarkParams params = result.getParams();
        int unitsPerOp = ceiling ? threads : 1;
        return new Row(strategy, where, shape, threads, params.getThreads() * unitsPerOp * 1e6 / meanMicros,
                statistics.getPercentile(50), statistics.getPercentile(99), alloc == null ? Double.NaN : alloc.getScore() / unitsPerOp);
    }

    /** The table, the target ratios and their verdicts, as Markdown. */
    static String report(Profile profile, List<Row> rows) {
        StringBuilder out = new StringBuilder();
        out.append("Measured ").append(LocalDate.now()).append(" with `--profile ").append(profile.name())
                .append("` (JMH sample time, ").append(profile.warmups()).append("x").append(profile.warmupSeconds())
                .append(" s warm-up, ").append(profile.measurements()).append("x").append(profile.measurementSeconds())
                .append(" s measured, one fork per run, the median of ").append(profile.repeats())
                .append(" run").append(profile.repeats() == 1 ? "" : "s").append(" in rotated order) on ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(", Java ").append(System.getProperty("java.version"))
                .append(". PostgreSQL 17 embedded, fsync and synchronous_commit on")
                .append(profile.databases().contains("mariadb") ? "; MariaDB 11.4 embedded, innodb_flush_log_at_trx_commit=1"
                        : "").append(".\n\n");
        out.append("| strategy | database | shape | threads | reservations/s | p50 us | p99 us | bytes/op |\n");
        out.append("|---|---|---|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %,.0f | %,.0f | %,.0f | %,.0f |%n", r.strategy(),
                    r.database(), r.shape(), r.threads(), r.throughput(), r.p50Micros(), r.p99Micros(), r.bytesPerOp()));
        }
        out.append("\n**Targets** (ratios from this run):\n\n| target | measured | verdict |\n|---|---|---|\n");
        for (String database : List.of("postgres", "mariadb")) {
            target(out, rows, "combining >= 0.8x the ceiling (one thread committing batches of 64 by hand), " + database
                    + ", hot, 64 threads", ratio(rows, "combining", ReserveBenchmark.CEILING, database, 64), 0.8);
            target(out, rows, "combining >= 20x conditional-update throughput, " + database + ", hot, 64 threads",
                    ratio(rows, "combining", "conditional-update", database, 64), 20);
            target(out, rows, "combining p99 no worse than conditional-update, " + database + ", hot, 64 threads",
                    inverseRatio(rows, "combining", "conditional-update", database, 64), 1);
        }
        for (String database : List.of("postgres", "mariadb", "h2")) {
            for (int threads : List.of(1, 64)) {
                target(out, rows, "conditional-update >= 0.9x JDBC baseline, " + database + ", hot, " + threads + " thread"
                                + (threads == 1 ? "" : "s"),
                        ratio(rows, "conditional-update", "jdbc-baseline", database, threads), 0.9);
            }
        }
        target(out, rows, "optimistic-version >= 0.5x conditional-update, postgres, hot, 64 threads",
                ratio(rows, "optimistic-version", "conditional-update", "postgres", 64), 0.5);
        target(out, rows, "unique-slots >= 2x conditional-update, postgres, hot, 64 threads",
                ratio(rows, "unique-slots", "conditional-update", "postgres", 64), 2);
        for (String strategy : List.of("conditional-update", "pessimistic-lock", "optimistic-version", "unique-slots",
                "combining")) {
            target(out, rows, strategy + " >= 0.8x JDBC baseline, postgres, hot, 1 thread",
                    ratio(rows, strategy, "jdbc-baseline", "postgres", 1), 0.8);
        }
        for (String database : List.of("h2", "postgres")) {
            for (String strategy : List.of("conditional-update", "pessimistic-lock", "optimistic-version", "unique-slots",
                    "combining", "in-memory")) {
                String where = strategy.equals("in-memory") ? "memory" : database;
                if (strategy.equals("in-memory") && database.equals("postgres")) {
                    continue;
                }
                target(out, rows, strategy + " with 10,000 live and 10,000 expired holds >= 0.8x without, " + where
                        + ", 1 thread", shapeRatio(rows, strategy, where, "held", 1), 0.8);
                measured(out, rows, strategy + " with 10,000 live and 10,000 expired holds against 20,000 permanent"
                        + " reservations (not a target: what the holds cost beyond what they hold), " + where + ", 1 thread",
                        shapeRatio(rows, strategy, where, "held", 1).flatMap(held ->
                                shapeRatio(rows, strategy, where, "booked", 1).map(booked -> held / booked)));
                target(out, rows, strategy + " limited per holder (" + String.format(Locale.ROOT, "%,d", holders) + " holders) >= 0.8x unlimited, " + where
                        + ", 16 threads", shapeRatio(rows, strategy, where, "limited", 16), 0.8);
            }
            // an order's cost at most twice a reservation's: its throughput at least half
            target(out, rows, "conditional-update order of 3 lines costs <= 2x one reservation, " + database
                    + ", 1 thread", shapeRatio(rows, "conditional-update", database, "order", 1), 0.5);
        }
        for (String strategy : List.of("conditional-update", "combining", "in-memory")) {
            // the meters cost at most 5% of throughput: with them, at least 0.95x without
            String where = strategy.equals("in-memory") ? "memory" : "h2";
            target(out, rows, strategy + " with MicrometerListener >= 0.95x without, " + where + ", hot, 16 threads",
                    ratio(rows, strategy + ReserveBenchmark.METERED, strategy, where, 16), 0.95);
        }
        if (out.toString().endsWith("|---|---|---|\n")) {
            out.append("| none of the targets is measured by this selection | - | - |\n");
        }
        return out.toString();
    }

    /** A row of the targets' table, for a target this run measured. */
    private static void target(StringBuilder out, List<Row> rows, String target, Optional<Double> measured, double goal) {
        if (measured.isEmpty()) {
            return;
        }
        out.append("| ").append(target).append(" | ")
                .append(measured.map(m -> String.format(Locale.ROOT, "%.2fx", m)).orElse("not measured")).append(" | ")
                .append(measured.map(m -> m >= goal ? "met" : "**missed**").orElse("-")).append(" |\n");
    }

    /** A row of the targets' table for a ratio that is not a target, if this run measured it. */
    private static void measured(StringBuilder out, List<Row> rows, String what, Optional<Double> measured) {
        measured.ifPresent(m -> out.append("| ").append(what).append(" | ")
                .append(String.format(Locale.ROOT, "%.2fx", m)).append(" | - |\n"));
    }

    private static Optional<Double> ratio(List<Row> rows, String a, String b, String database, int threads) {
        return find(rows, a, database, threads).flatMap(x -> find(rows, b, database, threads)
                .map(y -> x.throughput() / y.throughput()));
    }

    /** {@code strategy}'s throughput in {@code shape} against one hot resource, at {@code threads}. */
    private static Optional<Double> shapeRatio(List<Row> rows, String strategy, String database, String shape,
                                               int threads) {
        return rows.stream().filter(r -> r.strategy().equals(strategy) && r.database().equals(database)
                        && r.shape().equals(shape) && r.threads() == threads).findFirst()
                .flatMap(other -> find(rows, strategy, database, threads).map(hot -> other.throughput() / hot.throughput()));
    }

    /** How many times lower {@code a}'s p99 is than {@code b}'s: at least 1 means no worse. */
    private static Optional<Double> inverseRatio(List<Row> rows, String a, String b, String database, int threads) {
        return find(rows, a, database, threads).flatMap(x -> find(rows, b, database, threads)
                .map(y -> y.p99Micros() / x.p99Micros()));
    }

    private static Optional<Row> find(List<Row> rows, String strategy, String database, int threads) {
        return rows.stream().filter(r -> r.strategy().equals(strategy) && r.database().equals(database)
                && r.shape().equals("hot") && r.threads() == threads).findFirst();
    }
}
