package dev.capacity.stress.bench;

import dev.capacity.InMemoryStrategy;
import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.metrics.MicrometerListener;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * One reservation of one unit, by every benchmark thread in a loop, on one hot resource, on
 * 1,000 resources chosen uniformly, on one hot resource that carries 10,000 live holds and
 * 10,000 expired ones that nothing has ended ({@code held}), or on one that carries as many
 * permanent reservations ({@code booked}). Every iteration starts from empty tables and fresh resources
 * whose capacity no iteration can exhaust, so the run measures grants, never the cheap refusal of
 * a sold-out resource. The in-memory strategy releases each reservation right after it (a reserve
 * and a release per operation), since it would otherwise keep millions of them on the heap.
 *
 * <p>Run through {@link Benchmarks}, which starts the PostgreSQL server once and passes its URL in
 * the {@code bench.postgres.url} system property (MariaDB's in {@code bench.mariadb.url}), and the H2
 * file in {@code bench.h2.file}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReserveBenchmark {

    /**
     * A strategy name, built on the pool's {@code DataSource}; a strategy name ending in
     * {@value #VIA_JDBI}, built on the pool's {@code Jdbi} (a {@code Handle} per transaction); a
     * strategy name ending in {@value #METERED}, built on the pool's {@code DataSource} with a
     * {@link MicrometerListener} on a {@link SimpleMeterRegistry} (what the meters cost); or
     * {@code jdbc-baseline} for {@link JdbcBaseline}; or {@code jdbc-ceiling}, one thread granting
     * {@link #threads} units per operation in one transaction ({@link JdbcBaseline#grantBatch}).
     */
    @Param({"conditional-update"})
    public String strategy;

    /** {@code h2}, {@code h2-file}, {@code postgres} or {@code mariadb}; ignored by the in-memory strategy. */
    @Param({"h2"})
    public String database;

    /**
     * {@code hot} (one resource), {@code uniform} (1,000 resources), {@code held} (one resource
     * with holds), {@code booked} (one resource with as many permanent reservations as
     * {@code held} has holds) or {@code limited} (one resource with a per-holder limit, reserved for 10,000
     * holders chosen uniformly); or {@code order}: an order of one unit on each of three
     * resources ({@code reserveAll}), which counts as one operation.
     */
    @Param({"hot"})
    public String shape;

    /** The threads of the run, to size the pool. */
    @Param({"1"})
    public int threads;

    static final String VIA_JDBI = "/jdbi";
    static final String METERED = "/metered";
    /** The ceiling's name: run by one JMH thread, it grants {@link #threads} units per operation. */
    static final String CEILING = "jdbc-ceiling";
    static final int RESOURCES = 1000;
    /** Live holds, and as many expired ones, on the resource of the {@code held} shape; twice as many reservations in {@code booked}. */
    static final int HOLDS = 10_000;
    /** The lines of the {@code order} shape, one resource each. */
    static final int ORDER_LINES = 3;
    static final int DEFAULT_HOLDERS = 10_000;
    /** The holders of the {@code limited} shape: {@value #DEFAULT_HOLDERS}, or {@code Benchmarks --holders}. */
    static final int HOLDERS = Integer.getInteger("bench.holders", DEFAULT_HOLDERS);
    /**
     * Their ids, made before the run as the other shapes' one holder id is, so that both sides of
     * the limited-against-unlimited ratio measure the strategy, not the building of a string.
     */
    private static final String[] HOLDER_IDS = IntStream.range(0, HOLDERS).mapToObj(i -> "holder-" + i).toArray(String[]::new);
    static final long CAPACITY = 1_000_000_000L;
    static final long SLOT_CAPACITY = 10_000_000L;

    private CapacityPool pool;
    private boolean postgres;
    /** The in-memory strategy's clock: set back to make the expired holds of the {@code held} shape. */
    private final SettableClock clock = new SettableClock();
    private ReservationStrategy reserver;
    private JdbcBaseline baseline;
    private String[] ids;
    private List<ReservationRequest> order;
    private int iteration;

    @Setup(Level.Trial)
    public void open() {
        if (strategy.startsWith("in-memory")) {
            return;
        }
        String url = switch (database) {
            case "postgres" -> System.getProperty("bench.postgres.url");
            case "mariadb" -> System.getProperty("bench.mariadb.url");
            case "h2-file" -> "jdbc:h2:file:" + System.getProperty("bench.h2.file");
            default -> "jdbc:h2:mem:bench;DB_CLOSE_DELAY=-1";
        };
        if (url == null || url.isEmpty()) {
            throw new IllegalStateException("no database URL for " + database + "; run through Benchmarks");
        }
        postgres = database.equals("postgres");
        boolean mariadb = database.equals("mariadb");
        if (mariadb && (shape.equals("held") || shape.equals("booked"))) {
            throw new IllegalArgumentException("the " + shape + " shape is measured on H2 and PostgreSQL");
        }
        pool = CapacityPool.open(url, postgres ? "postgres" : mariadb ? "root" : "sa", postgres ? "postgres" : "",
                threads + 4);
        CapacitySchema.install(pool.jdbi());
        if (strategy.equals("jdbc-baseline") || strategy.equals(CEILING)) {
            baseline = new JdbcBaseline(pool.dataSource(), postgres ? JdbcBaseline.Database.POSTGRES
                    : mariadb ? JdbcBaseline.Database.MARIADB : JdbcBaseline.Database.H2);
        } else if (strategy.endsWith(VIA_JDBI)) {
            reserver = JdbiStrategies.of(StrategyKind.fromName(strategy.substring(0, strategy.length() - VIA_JDBI.length())),
                    pool.jdbi());
        } else if (strategy.endsWith(METERED)) {
            reserver = JdbiStrategies.of(StrategyKind.fromName(strategy.substring(0, strategy.length() - METERED.length())),
                    pool.dataSource(), StrategyOptions.builder().listener(new MicrometerListener(new SimpleMeterRegistry())).build());
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
                for (String table : new String[] {"capacity_slot", "capacity_reservation", "capacity_resource", "capacity_holder"}) {
                    s.execute("TRUNCATE TABLE " + table);
                }
            }
        } else {
            clock.set(Instant.now());
            StrategyOptions.Builder options = StrategyOptions.builder().clock(clock);
            if (strategy.endsWith(METERED)) {
                options.listener(new MicrometerListener(new SimpleMeterRegistry()));
            }
            reserver = new InMemoryStrategy(options.build());
        }
        ReservationStrategy definer = reserver != null ? reserver
                : JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.dataSource());
        ids = new String[shape.equals("uniform") ? RESOURCES : shape.equals("order") ? ORDER_LINES : 1];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "bench-" + iteration + "-" + i;
            definer.define(ids[i], strategy.equals("unique-slots") ? SLOT_CAPACITY : CAPACITY);
        }
        if (shape.equals("held") || shape.equals("booked")) {
            hold(ids[0], shape.equals("held"));
        }
        if (shape.equals("order")) {
            if (baseline != null) {
                throw new IllegalArgumentException("the JDBC baseline has no orders");
            }
            List<ReservationRequest> lines = new ArrayList<>();
            for (String id : ids) {
                lines.add(ReservationRequest.of(id, "holder"));
            }
            order = List.copyOf(lines);
        }
        if (shape.equals("limited")) {
            if (baseline != null) {
                throw new IllegalArgumentException("the JDBC baseline keeps no per-holder limit");
            }
            reserver.limitPerHolder(ids[0], CAPACITY);
        }
    }

    /**
     * Puts {@link #HOLDS} live holds (a day long) and as many expired ones on the resource, or
     * (not {@code expiring}) twice as many permanent reservations: through the in-memory strategy
     * on a clock set back for the expired ones; in a database in one statement each, counted in the
     * resource's counter (or given slots) as a strategy would.
     */
    private void hold(String id, boolean expiring) throws SQLException {
        if (pool == null) {
            Instant now = clock.instant();
            clock.set(now.minus(Duration.ofDays(2)));
            for (int i = 0; i < HOLDS; i++) {
                ReservationRequest request = ReservationRequest.of(id, "gone-" + i);
                reserver.reserve(expiring ? request.withHold(Duration.ofDays(1)) : request);
            }
            clock.set(now);
            for (int i = 0; i < HOLDS; i++) {
                ReservationRequest request = ReservationRequest.of(id, "cart-" + i);
                reserver.reserve(expiring ? request.withHold(Duration.ofDays(1)) : request);
            }
            return;
        }
        String rows = postgres ? "generate_series(0, " + (2 * HOLDS - 1) + ") AS g(x)"
                : "SYSTEM_RANGE(0, " + (2 * HOLDS - 1) + ")";
        try (Connection c = pool.dataSource().getConnection();
             PreparedStatement insert = c.prepareStatement("INSERT INTO capacity_reservation"
                     + " (resource_id, holder_id, quantity, created_at, expires_at) SELECT ?, 'bench-hold', 1, ?,"
                     + (expiring ? " CASE WHEN x < " + HOLDS + " THEN ? ELSE ? END" : " NULL") + " FROM " + rows);
             Statement s = c.createStatement()) {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            insert.setString(1, id);
            insert.setObject(2, now.minusDays(2));
            if (expiring) {
                insert.setObject(3, now.minusDays(1));
                insert.setObject(4, now.plusDays(1));
            }
            insert.executeUpdate();
            if (strategy.equals("unique-slots")) {
                s.execute("INSERT INTO capacity_slot (resource_id, slot, reservation_id) SELECT resource_id,"
                        + " ROW_NUMBER() OVER (ORDER BY id) - 1, id FROM capacity_reservation WHERE resource_id = '" + id + "'");
            } else {
                s.execute("UPDATE capacity_resource SET reserved = reserved + " + (2 * HOLDS) + " WHERE id = '" + id + "'");
            }
        }
    }

    /** A clock the benchmark sets. */
    private static final class SettableClock extends Clock {
        private volatile Instant now = Instant.now();

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
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
        if (order != null) {
            OrderResult placed = reserver.reserveAll(order);
            if (pool == null) {
                for (Reservation line : placed.reservations()) {
                    reserver.release(line.id());
                }
            }
            return placed;
        }
        String id = ids.length == 1 ? ids[0] : ids[chooser.random.nextInt(ids.length)];
        if (baseline != null) {
            return strategy.equals(CEILING) ? baseline.grantBatch(id, threads) : baseline.reserve(id, "holder");
        }
        String holder = shape.equals("limited") ? HOLDER_IDS[chooser.random.nextInt(HOLDERS)] : "holder";
        ReservationResult result = reserver.reserve(ReservationRequest.of(id, holder));
        if (pool == null) {
            // in memory, every reservation of the iteration would stay on the heap: give it back
            reserver.release(result.reservation().id());
        }
        return result;
    }
}
