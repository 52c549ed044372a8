package dev.capacity.stress.bench;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One reservation of one unit, by every benchmark thread in a loop, on one hot resource or on
 * 1,000 resources chosen uniformly. Every iteration starts from empty tables and fresh resources
 * whose capacity no iteration can exhaust, so the run measures grants, never the cheap refusal of
 * a sold-out resource. The in-memory strategy releases each reservation right after it (a reserve
 * and a release per operation), since it would otherwise keep millions of them on the heap.
 *
 * <p>Run through {@link Benchmarks}, which starts the PostgreSQL server once and passes its URL in
 * the {@code bench.postgres.url} system property, and the H2 file in {@code bench.h2.file}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReserveBenchmark {

    /**
     * A strategy name, built on the pool's {@code DataSource}; a strategy name ending in
     * {@value #VIA_JDBI}, built on the pool's {@code Jdbi} (a {@code Handle} per transaction); or
     * {@code jdbc-baseline} for {@link JdbcBaseline}.
     */
    @Param({"conditional-update"})
    public String strategy;

    /** {@code h2}, {@code h2-file} or {@code postgres}; ignored by the in-memory strategy. */
    @Param({"h2"})
    public String database;

    /** {@code hot} (one resource) or {@code uniform} (1,000 resources). */
    @Param({"hot"})
    public String shape;

    /** The threads of the run, to size the pool. */
    @Param({"1"})
    public int threads;

    static final String VIA_JDBI = "/jdbi";
    static final int RESOURCES = 1000;
    static final long CAPACITY = 1_000_000_000L;
    static final long SLOT_CAPACITY = 10_000_000L;

    private CapacityPool pool;
    private ReservationStrategy reserver;
    private JdbcBaseline baseline;
    private String[] ids;
    private int iteration;

    @Setup(Level.Trial)
    public void open() {
        if (strategy.equals("in-memory")) {
            return;
        }
        String url = switch (database) {
            case "postgres" -> System.getProperty("bench.postgres.url");
            case "h2-file" -> "jdbc:h2:file:" + System.getProperty("bench.h2.file");
            default -> "jdbc:h2:mem:bench;DB_CLOSE_DELAY=-1";
        };
        if (url == null) {
            throw new IllegalStateException("no database URL for " + database + "; run through Benchmarks");
        }
        boolean postgres = database.equals("postgres");
        pool = CapacityPool.open(url, postgres ? "postgres" : "sa", postgres ? "postgres" : "", threads + 4);
        CapacitySchema.install(pool.jdbi());
        if (strategy.equals("jdbc-baseline")) {
            baseline = new JdbcBaseline(pool.dataSource(), postgres);
        } else if (strategy.endsWith(VIA_JDBI)) {
            reserver = JdbiStrategies.of(StrategyKind.fromName(strategy.substring(0, strategy.length() - VIA_JDBI.length())),
                    pool.jdbi());
        } else {
            reserver = JdbiStrategies.of(StrategyKind.fromName(strategy), pool.dataSource());
        }
    }

    @Setup(Level.Iteration)
    public void freshResources() throws SQLException {
        iteration++;
        if (pool != null) {
            try (Connection c = pool.dataSource().getConnection(); Statement s = c.createStatement()) {
                // TRUNCATE, not DELETE: dead rows left by earlier runs would slow every later run down
                for (String table : new String[] {"capacity_slot", "capacity_reservation", "capacity_resource"}) {
                    s.execute("TRUNCATE TABLE " + table);
                }
            }
        } else {
            reserver = new InMemoryStrategy();
        }
        ReservationStrategy definer = reserver != null ? reserver
                : JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.dataSource());
        ids = new String[shape.equals("hot") ? 1 : RESOURCES];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "bench-" + iteration + "-" + i;
            definer.define(ids[i], strategy.equals("unique-slots") ? SLOT_CAPACITY : CAPACITY);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        if (reserver instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (pool != null) {
            pool.close();
        }
    }

    /** Each thread's own random choice of resource. */
    @State(Scope.Thread)
    public static class Chooser {
        final SplittableRandom random = new SplittableRandom(Thread.currentThread().getId());
    }

    @Benchmark
    public Object reserve(Chooser chooser) throws SQLException {
        String id = ids.length == 1 ? ids[0] : ids[chooser.random.nextInt(ids.length)];
        if (baseline != null) {
            return baseline.reserve(id, "holder");
        }
        ReservationResult result = reserver.reserve(ReservationRequest.of(id, "holder"));
        if (pool == null) {
            // in memory, every reservation of the iteration would stay on the heap: give it back
            reserver.release(result.reservation().id());
        }
        return result;
    }
}
