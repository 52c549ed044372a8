package dev.capacity.examples.race;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationStrategy;
import dev.capacity.StoreUnavailableException;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.metrics.MicrometerListener;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.stress.internal.Database;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedMariaDbServer;
import dev.capacity.stress.internal.EmbeddedPostgresServer;
import dev.capacity.stress.internal.EmbeddedServer;
import dev.capacity.stress.internal.History;
import dev.capacity.stress.internal.RaceClock;
import dev.capacity.stress.internal.RaceHarness;
import dev.capacity.stress.internal.RaceReport;
import dev.capacity.stress.internal.Scenario;
import dev.capacity.stress.internal.Snapshot;

import org.jdbi.v3.core.Jdbi;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The race: every strategy against the same crowd of buyers, one after the other, on embedded H2
 * (default), an embedded PostgreSQL server ({@code --postgres}), an embedded MariaDB server
 * ({@code --mariadb}) or your own database ({@code --jdbc-url}). Each race's history is checked; the exit code is 0 when every check
 * passed, 1 when one failed, 2 for a usage error or a database that cannot be reached.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java
 * mvn -q -pl examples -am compile exec:java -Dexec.args="--postgres --threads 32 --report race.html"
 * </pre>
 */
public final class Race {

    private Race() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the program; returns its exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        RaceOptions options;
        try {
            options = RaceOptions.parse(args);
        } catch (RaceOptions.UsageException e) {
            err.println("race: " + e.getMessage());
            err.println("run with --help to see every option");
            return 2;
        }
        if (options.help()) {
            out.println(RaceOptions.HELP);
            return 0;
        }
        try (Target target = Target.open(options, err)) {
            return race(options, target, out, err);
        } catch (StoreUnavailableException e) {
            err.println("race: cannot reach the database at " + options.jdbcUrl() + ": " + rootMessage(e));
            return 2;
        } catch (IOException e) {
            err.println("race: could not write the report: " + e.getMessage());
            return 2;
        }
    }

    private static int race(RaceOptions options, Target target, PrintStream out, PrintStream err) throws IOException {
        String machine = machine();
        err.printf("race on %s; seed %d%n  %s%n  %s%n%n", target.description, options.seed(), options.describe(), machine);
        List<RaceReport> reports = new ArrayList<>();
        List<Meters> meters = new ArrayList<>();
        for (StrategyKind kind : options.strategies()) {
            RaceClock clock = new RaceClock();
            // holds are judged by the race's clock, which the buyers move; without holds, by the system clock
            StrategyOptions base = options.holds() ? clock.options() : StrategyOptions.defaults();
            ReservationStrategy warm = target.strategy(kind, base);
            try {
                warmUp(kind, warm, target, options, clock);
            } finally {
                if (warm instanceof AutoCloseable closeable) {
                    closeQuietly(closeable);
                }
            }
            // the race on a strategy of its own (its code is warm), whose meters count the race alone
            MeterRegistry registry = new SimpleMeterRegistry();
            ReservationStrategy strategy = target.strategy(kind,
                    StrategyOptions.from(base).listener(new MicrometerListener(registry)).build());
            String prefix = RaceHarness.newPrefix("race", options.seed());
            Scenario.Plan plan = Workload.plan(prefix, options);
            long duration = TimeUnit.SECONDS.toNanos(options.durationSeconds());
            String database = kind == StrategyKind.IN_MEMORY ? "memory" : target.name;
            RaceHarness.Race race = new RaceHarness.Race(kind.strategyName(), database, "race", options.seed(), prefix,
                    plan, 100, duration, options.commandLine(), false, clock);
            History history = new History();
            try (Progress progress = new Progress(err, kind.strategyName(), history, Workload.reserves(plan), duration)) {
                reports.add(RaceHarness.run(race, strategy, target.snapshot(kind, strategy), history));
                meters.add(Meters.read(registry));
            } finally {
                if (strategy instanceof AutoCloseable closeable) {
                    closeQuietly(closeable);
                }
            }
        }
        Results results = new Results(options, target.description, machine, ZonedDateTime.now(), reports, meters);
        out.print(options.json() ? results.json() : results.table());
        if (options.report() != null) {
            Files.writeString(options.report(), results.html(), StandardCharsets.UTF_8);
            err.println("report written to " + options.report().toAbsolutePath());
        }
        if (!results.ok()) {
            err.println();
            err.print(RaceReport.table(reports.stream().filter(r -> !r.ok()).toList()));
            return 1;
        }
        return 0;
    }

    /** A short sell-out on resources of its own, so that the measured race runs on warm code. */
    private static void warmUp(StrategyKind kind, ReservationStrategy strategy, Target target, RaceOptions options,
                               RaceClock clock) {
        String prefix = RaceHarness.newPrefix("warmup", options.seed());
        RaceOptions small = new RaceOptions(options.strategies(), options.target(), options.jdbcUrl(), options.user(),
                options.password(), options.threads(), Math.max(10, Math.min(options.capacity(), 200)),
                options.orderLines(), 0, options.minQuantity(), options.maxQuantity(), 2, 0, options.keyShare(),
                options.holdShare(), options.orderLines(), options.holderLimit(), options.seed() + 1, null, false, false);
        RaceHarness.run(new RaceHarness.Race(kind.strategyName(), target.name, "warm-up", small.seed(), prefix,
                Workload.plan(prefix, small), 100, 0, null, false, clock), strategy, target.snapshot(kind, strategy),
                new History());
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not close " + closeable, e);
        }
    }

    static String machine() {
        return String.format(Locale.ROOT, "%d cores, %s %s (%s), Java %s (%s)", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"),
                System.getProperty("java.version"), System.getProperty("java.vm.name"));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** The database a race runs on, opened for it and closed after. */
    private static final class Target implements AutoCloseable {
        final String name;
        final String description;
        final CapacityPool pool;
        final AutoCloseable server;

        private Target(String name, String description, CapacityPool pool, AutoCloseable server) {
            this.name = name;
            this.description = description;
            this.pool = pool;
            this.server = server;
        }

        static Target open(RaceOptions options, PrintStream err) {
            EmbeddedServer server = null;
            Database database;
            String name;
            switch (options.target()) {
                case POSTGRES:
                    err.println("starting an embedded PostgreSQL server (fsync and synchronous_commit on)...");
                    server = EmbeddedPostgresServer.start(Durability.DURABLE);
                    database = server.database();
                    name = "postgres";
                    break;
                case MARIADB:
                    err.println("starting an embedded MariaDB server (innodb_flush_log_at_trx_commit=1)...");
                    server = EmbeddedMariaDbServer.start(Durability.DURABLE);
                    database = server.database();
                    name = "mariadb";
                    break;
                case JDBC_URL:
                    database = new Database("jdbc", options.jdbcUrl(), options.user(), options.password());
                    name = options.jdbcUrl().split(":")[1];
                    break;
                default:
                    database = Database.h2Memory("race");
                    name = "h2";
            }
            CapacityPool pool = CapacityPool.open(database.jdbcUrl(), database.user(), database.password(),
                    options.threads() + 4);
            try {
                CapacitySchema.install(pool.jdbi());
                String product = product(pool.jdbi());
                String where = switch (options.target()) {
                    case POSTGRES -> "embedded " + product + " (fsync on)";
                    case MARIADB -> "embedded " + product + " (durable)";
                    case JDBC_URL -> product + " at " + options.jdbcUrl();
                    default -> "embedded " + product + " (in memory)";
                };
                return new Target(name, where, pool, server);
            } catch (RuntimeException e) {
                pool.close();
                closeServer(server, e);
                throw e;
            }
        }

        private static String product(Jdbi jdbi) {
            try {
                return jdbi.withHandle(h -> h.getConnection().getMetaData().getDatabaseProductName() + " "
                        + h.getConnection().getMetaData().getDatabaseProductVersion());
            } catch (SQLException e) {
                throw new StoreUnavailableException("cannot read the database's version", e);
            }
        }

        ReservationStrategy strategy(StrategyKind kind, StrategyOptions options) {
            return kind == StrategyKind.IN_MEMORY ? new InMemoryStrategy(options)
                    : JdbiStrategies.of(kind, pool.dataSource(), options);
        }

        Function<RaceHarness.Resources, Snapshot> snapshot(StrategyKind kind, ReservationStrategy strategy) {
            Jdbi jdbi = pool.jdbi();
            return kind == StrategyKind.IN_MEMORY
                    ? r -> Snapshot.fromAvailability(strategy, r.capacities().keySet())
                    : r -> Snapshot.fromTables(jdbi, "capacity_", r.prefix());
        }

        @Override
        public void close() {
            pool.close();
            closeServer(server, null);
        }

        /** Stops the embedded server, if any; a failure is added to {@code failure} if there is one. */
        private static void closeServer(AutoCloseable server, RuntimeException failure) {
            if (server == null) {
                return;
            }
            try {
                server.close();
            } catch (Exception e) {
                if (failure == null) {
                    throw e instanceof RuntimeException r ? r : new IllegalStateException("could not stop the server", e);
                }
                failure.addSuppressed(e);
            }
        }
    }
}
