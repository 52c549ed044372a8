package dev.capacity.stress.bench;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedPostgresServer;
import dev.capacity.stress.internal.Options;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;

/**
 * Where a strategy's time goes inside PostgreSQL: each strategy reserves one unit at a time on one
 * resource from many threads, without a limit ({@code hot}) and with a per-holder limit that
 * never refuses ({@code limited}, holders chosen uniformly), on a durable embedded server with
 * {@code pg_stat_statements} loaded; after each run the statements' execution time, WAL and rows
 * are read back and divided by the reservations made. The shapes of {@link ReserveBenchmark}'s
 * {@code hot} and {@code limited}, outside JMH, so that the statements can be counted.
 *
 * <pre>
 * mvn -q -pl stress-tests -am compile exec:java@statements -Dexec.args="--strategies combining,conditional-update"
 * </pre>
 * Options: {@code --strategies}, {@code --threads} (16), {@code --seconds} measured per run (8,
 * after 2 of warm-up), {@code --holders} (10,000), {@code --rounds} (2: the shapes and strategies
 * take turns). Each statement's time is PostgreSQL's own (planning excluded); the rest of a
 * reservation's time is the client, the network and the wait for the commit's flush.
 */
public final class StatementCosts {

    private StatementCosts() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "strategies", "threads", "seconds", "holders", "rounds");
        List<StrategyKind> kinds = new ArrayList<>();
        for (String name : options.getOrDefault("strategies", "combining,conditional-update").split(",")) {
            kinds.add(StrategyKind.fromName(name.trim()));
        }
        int threads = positive(options, "threads", 16);
        int seconds = positive(options, "seconds", 8);
        int holderCount = positive(options, "holders", 10_000);
        int rounds = positive(options, "rounds", 2);
        String[] holders = IntStream.range(0, holderCount).mapToObj(i -> "holder-" + i).toArray(String[]::new);
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(Durability.DURABLE,
                Map.of("shared_preload_libraries", "pg_stat_statements"));
             CapacityPool pool = CapacityPool.open(server.database().jdbcUrl(), "postgres", "postgres", threads + 4)) {
            CapacitySchema.install(pool.jdbi());
            execute(pool, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            System.out.printf(Locale.ROOT, "PostgreSQL 17 (fsync on), %d threads, %d holders, %d s per run after 2 s of warm-up,"
                    + " %d cores%n", threads, holderCount, seconds, Runtime.getRuntime().availableProcessors());
            int run = 0;
            for (int round = 1; round <= rounds; round++) {
                for (StrategyKind kind : kinds) {
                    ReservationStrategy strategy = JdbiStrategies.of(kind, pool.dataSource());
                    for (String shape : round % 2 == 1 ? List.of("hot", "limited") : List.of("limited", "hot")) {
                        String resource = "costs-" + (++run);
                        strategy.define(resource, Long.MAX_VALUE / 4);
                        boolean limited = shape.equals("limited");
                        if (limited) {
                            strategy.limitPerHolder(resource, Long.MAX_VALUE / 4);
                        }
                        reserve(strategy, resource, limited ? holders : new String[] {"holder"}, threads, 2);
                        execute(pool, "SELECT pg_stat_statements_reset()");
                        long made = reserve(strategy, resource, limited ? holders : new String[] {"holder"}, threads, seconds);
                        report(pool, "round " + round + ", " + kind.strategyName() + ", " + shape, made, seconds);
                    }
                }
            }
        }
    }

    private static int positive(Map<String, String> options, String name, int otherwise) {
        int value = Integer.parseInt(options.getOrDefault(name, String.valueOf(otherwise)));
        if (value < 1) {
            throw new IllegalArgumentException("--" + name + " must be at least 1, was " + value);
        }
        return value;
    }

    /** Reserves one unit at a time from {@code threads} threads for {@code seconds}; the reservations made. */
    private static long reserve(ReservationStrategy strategy, String resource, String[] holders, int threads, int seconds)
            throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        LongAdder made = new LongAdder();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            SplittableRandom random = new SplittableRandom(t);
            Thread thread = new Thread(() -> {
                try {
                    while (running.get()) {
                        ReservationResult result = strategy.reserve(
                                ReservationRequest.of(resource, holders[random.nextInt(holders.length)]));
                        if (result.status() != ReservationResult.Status.RESERVED) {
                            throw new IllegalStateException("a reservation was not granted: " + result);
                        }
                        made.increment();
                    }
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                    running.set(false);
                } finally {
                    done.countDown();
                }
            });
            thread.start();
        }
        Thread.sleep(seconds * 1000L);
        running.set(false);
        done.await();
        if (failure.get() != null) {
            throw failure.get();
        }
        return made.sum();
    }

    private static void report(CapacityPool pool, String run, long made, int seconds) throws SQLException {
        System.out.printf(Locale.ROOT, "%n%s: %,d reservations/s%n", run, made / seconds);
        System.out.println("| statement | calls per reservation | rows per call | µs per reservation | WAL bytes per reservation |");
        System.out.println("|---|---:|---:|---:|---:|");
        double total = 0;
        long wal = 0;
        try (Connection c = pool.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT calls, rows, total_exec_time, wal_bytes,"
                     + " regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements"
                     + " WHERE query NOT LIKE '%pg_stat_statements%' AND calls > 0 ORDER BY total_exec_time DESC")) {
            while (rs.next()) {
                double micros = rs.getDouble(3) * 1000 / made;
                total += micros;
                wal += rs.getLong(4);
                if (micros >= 0.05) {
                    String query = rs.getString(5);
                    System.out.printf(Locale.ROOT, "| `%s` | %.2f | %.1f | %.2f | %.0f |%n",
                            query.length() > 90 ? query.substring(0, 90) + "…" : query, (double) rs.getLong(1) / made,
                            (double) rs.getLong(2) / rs.getLong(1), micros, (double) rs.getLong(4) / made);
                }
            }
        }
        System.out.printf(Locale.ROOT, "| every statement | | | %.2f | %.0f |%n", total, (double) wal / made);
    }

    private static void execute(CapacityPool pool, String statement) throws SQLException {
        try (Connection c = pool.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
