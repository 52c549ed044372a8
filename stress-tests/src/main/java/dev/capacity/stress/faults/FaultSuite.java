package dev.capacity.stress.faults;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.stress.Database;
import dev.capacity.stress.EmbeddedPostgresServer;
import dev.capacity.stress.History;
import dev.capacity.stress.Op;
import dev.capacity.stress.RaceHarness;
import dev.capacity.stress.RaceReport;
import dev.capacity.stress.Scenario;
import dev.capacity.stress.Snapshot;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Races every strategy on a real PostgreSQL server while the database misbehaves, and checks
 * each race's history with the race harness's checker: backends terminated at random moments,
 * COMMITs whose acknowledgement is lost, lock and statement timeouts set very low, a pool with
 * fewer connections than threads, and the server stopped and started again mid-run. Next to each
 * faulty race runs the same race without faults, so that throughput under faults is a ratio from
 * one run.
 *
 * <pre>
 * mvn -q -pl stress-tests -am compile exec:java@faults                     # every strategy, every fault
 * mvn -q -pl stress-tests -am compile exec:java@faults -Dexec.args="--seconds 10 --seed 42 --strategies combining"
 * </pre>
 *
 * <p>The main method exits with 1 if any race breaks an invariant or, for the kills and the
 * commit faults, if throughput falls under {@value #MIN_THROUGHPUT_RATIO} of the fault-free
 * race's.
 */
public final class FaultSuite {

    /** What goes wrong during a race. */
    public enum Fault {
        NONE("no faults: the yardstick"),
        KILLS("pg_terminate_backend at random moments"),
        COMMIT_FAULTS("COMMIT acknowledgement lost, after or instead of the commit"),
        TIMEOUTS("lock_timeout 1 ms, statement_timeout 5 ms"),
        POOL_EXHAUSTED("half as many connections as threads, all taken for 400 ms at times, 250 ms connection timeout"),
        RESTART("server stopped and started again mid-run");

        private final String description;

        Fault(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** Throughput under kills and commit faults, as a share of the fault-free race's. */
    public static final double MIN_THROUGHPUT_RATIO = 0.7;

    /**
     * How the suite runs.
     *
     * @param threads racing threads
     * @param capacity the scale of the churn scenario
     * @param runFor how long each race runs at least
     * @param kills backend terminations per strategy, at least
     * @param killPause the longest pause between two terminations (each pause is drawn uniformly up to it)
     * @param commitFaults failed COMMITs per strategy, at least
     * @param commitFaultShare the share of COMMITs that fail
     * @param seed the seed of the plans and of the faults
     */
    public record Settings(int threads, int capacity, Duration runFor, int kills, Duration killPause,
                           int commitFaults, double commitFaultShare, long seed) {

        /**
         * 8 threads for at least 2 s per race; per strategy at least 50 terminations (one every
         * 50 ms on average) and 120 failed COMMITs (one in ten): over the five strategies, 250
         * terminations and 600 failed COMMITs.
         */
        public static Settings defaults(long seed) {
            return new Settings(8, 64, Duration.ofSeconds(2), 50, Duration.ofMillis(100), 120, 0.1, seed);
        }
    }

    /**
     * One race under one fault.
     *
     * @param answeredPerSecond calls that got a definite answer (granted, refused, released), per second
     * @param injected faults injected: kills, failed commits, or calls refused while the server was down
     * @param injectedDetail the faults by kind
     * @param keyedUnknown reserve calls with an idempotency key whose outcome stayed unknown (the
     *     store was unreachable for the lookup too)
     * @param unresolved of those, the ones that the same request sent again after the race did not
     *     answer with the truth: REPLAYED with the row if the row is there, anything else if not
     * @param unkeyedUnknown reserve calls without a key that ended in {@code OutcomeUnknownException}
     * @param slowestFailureMicros the slowest call that failed with {@code StoreUnavailableException}
     * @param newConnections sessions the pool opened during the race (replacing lost or evicted ones)
     * @param activeAfter the pool's connections still lent out after the race
     * @param totalAfter the pool's open connections after the race
     * @param poolSize the pool's maximum
     */
    public record Outcome(String strategy, Fault fault, RaceReport report, double answeredPerSecond, long injected,
                          String injectedDetail, long keyedUnknown, long unresolved, long unkeyedUnknown, long slowestFailureMicros,
                          long newConnections, int activeAfter, int totalAfter, int poolSize) {

        /**
         * The checker found nothing, every keyed unknown outcome was resolved to the truth (and,
         * when only COMMIT acknowledgements were lost, none stayed unknown at all), and the pool
         * is back to rest.
         */
        public boolean invariantsHold() {
            return report.ok() && unresolved == 0 && (fault != Fault.COMMIT_FAULTS || keyedUnknown == 0)
                    && activeAfter == 0 && totalAfter <= poolSize;
        }
    }

    private static final long MAX_RACE_NANOS = TimeUnit.MINUTES.toNanos(3);
    private static final AtomicInteger RUNS = new AtomicInteger();

    private final EmbeddedPostgresServer server;
    private final Settings settings;
    private final CapacityPool admin;

    /** A suite on {@code server}, which it may stop and start again; the tables are installed here. */
    public FaultSuite(EmbeddedPostgresServer server, Settings settings) {
        this.server = server;
        this.settings = settings;
        Database db = server.database();
        this.admin = CapacityPool.open(db.jdbcUrl(), db.user(), db.password(), 4);
        CapacitySchema.install(admin.jdbi());
    }

    /**
     * Each of {@code faults} (and the fault-free yardstick first) for each strategy. Before the
     * yardstick, a fault-free race that is not reported warms the strategy's code up, so that
     * the ratios compare warm runs.
     */
    public List<Outcome> run(List<StrategyKind> kinds, Set<Fault> faults) {
        List<Outcome> outcomes = new ArrayList<>();
        for (StrategyKind kind : kinds) {
            Outcome warmUp = run(kind, Fault.NONE);
            if (!warmUp.invariantsHold()) {
                outcomes.add(warmUp);
            }
            outcomes.add(run(kind, Fault.NONE));
            for (Fault fault : faults) {
                if (fault != Fault.NONE) {
                    outcomes.add(run(kind, fault));
                }
            }
        }
        return outcomes;
    }

    /** One race of {@code kind} under {@code fault}. */
    public Outcome run(StrategyKind kind, Fault fault) {
        return run(kind.strategyName(), fault, jdbi -> JdbiStrategies.of(kind, jdbi, options(fault)));
    }

    /**
     * One race under {@code fault} of any strategy over JDBI, made by {@code strategyOn} from the
     * race's Jdbi (which carries the injected faults): for negative controls.
     */
    public Outcome run(String strategyName, Fault fault, Function<Jdbi, ReservationStrategy> strategyOn) {
        String application = "capacity-faults-" + RUNS.incrementAndGet();
        int threads = settings.threads();
        int poolSize = fault == Fault.POOL_EXHAUSTED ? threads / 2 : threads + 2;
        Duration connectionTimeout = Duration.ofMillis(fault == Fault.POOL_EXHAUSTED ? 250 : 1000);
        Database db = server.database();
        String url = db.jdbcUrl() + "?ApplicationName=" + application
                + (fault == Fault.TIMEOUTS ? "&options=-c%20statement_timeout%3D5ms" : "");
        long seed = settings.seed() ^ (strategyName.hashCode() * 31L + fault.ordinal());

        try (CapacityPool pool = CapacityPool.open(url, db.user(), db.password(), poolSize, connectionTimeout)) {
            fill(pool, poolSize);
            Timestamp raceStart = admin.jdbi().withHandle(h -> h.createQuery("SELECT clock_timestamp()")
                    .mapTo(Timestamp.class).one());
            // faults begin once the race does: the resources are defined before it, undisturbed
            AtomicBoolean racing = new AtomicBoolean();
            CommitFaults commitFaults = fault == Fault.COMMIT_FAULTS
                    ? new CommitFaults(pool.dataSource(), settings.commitFaultShare(), seed, racing::get) : null;
            Jdbi jdbi = commitFaults != null ? Jdbi.create(commitFaults) : pool.jdbi();
            ReservationStrategy strategy = strategyOn.apply(jdbi);
            // defines the race's resources and later checks keyed unknowns, on the suite's own pool
            ReservationStrategy clean = strategyOn.apply(admin.jdbi());
            try {
                String prefix = RaceHarness.newPrefix("faults", seed);
                Scenario.Plan plan = Scenario.CHURN.plan(prefix, threads, settings.capacity(), seed);
                RaceHarness.Race race = new RaceHarness.Race(strategyName, "postgres", fault.name().toLowerCase(Locale.ROOT),
                        seed, prefix, plan, 100, MAX_RACE_NANOS, null);
                History history = new History();
                long started = System.nanoTime();
                BooleanSupplier longEnough = () -> {
                    if (!racing.get()) {
                        racing.set(true);
                    }
                    return System.nanoTime() - started >= settings.runFor().toNanos();
                };

                RaceReport report;
                long injected;
                String detail;
                switch (fault) {
                    case KILLS -> {
                        try (BackendKiller killer = new BackendKiller(db, application, seed, settings.killPause().toMillis(), racing::get).start()) {
                            report = RaceHarness.run(race, clean, strategy, this::snapshot, history,
                                    () -> longEnough.getAsBoolean() && killer.kills() >= settings.kills());
                            injected = killer.kills();
                            detail = killer.byState().toString();
                        }
                    }
                    case COMMIT_FAULTS -> {
                        report = RaceHarness.run(race, clean, strategy, this::snapshot, history,
                                () -> longEnough.getAsBoolean() && commitFaults.injected() >= settings.commitFaults());
                        injected = commitFaults.injected();
                        detail = "{after commit=" + commitFaults.afterCommit() + ", instead of commit="
                                + commitFaults.insteadOfCommit() + "}";
                    }
                    case POOL_EXHAUSTED -> {
                        try (Hog hog = new Hog(pool, poolSize, racing::get).start()) {
                            report = RaceHarness.run(race, clean, strategy, this::snapshot, history,
                                    () -> longEnough.getAsBoolean() && hog.cycles() >= 3
                                            && history.count(o -> "StoreUnavailableException".equals(o.result())) > 0);
                            injected = history.count(o -> "StoreUnavailableException".equals(o.result()));
                            detail = "{connections held by another part of the application " + hog.cycles() + " times}";
                        }
                    }
                    case RESTART -> {
                        Restart restart = new Restart(history);
                        Thread operator = new Thread(restart, "operator");
                        operator.start();
                        report = RaceHarness.run(race, clean, strategy, this::snapshot, history, restart.done::get);
                        join(operator);
                        if (restart.failure != null) {
                            throw new IllegalStateException("the restart did not go as planned: " + restart.failure,
                                    restart.failure);
                        }
                        injected = history.count(o -> o.invokedMicros() >= restart.stoppedAt
                                && o.invokedMicros() < restart.startedAt);
                        detail = String.format(Locale.ROOT, "{down %.1f s}", (restart.startedAt - restart.stoppedAt) / 1e6);
                    }
                    default -> {
                        report = RaceHarness.run(race, clean, strategy, this::snapshot, history, longEnough);
                        injected = 0;
                        detail = "{}";
                    }
                }
                close(strategy);
                long newConnections = admin.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM pg_stat_activity"
                                + " WHERE application_name = :app AND backend_start > :start")
                        .bind("app", application).bind("start", raceStart).mapTo(Long.class).one());
                List<Op> ops = history.ops();
                List<Op> keyedUnknown = ops.stream()
                        .filter(o -> o.kind() == Op.Kind.RESERVE && o.hasKey() && o.outcome() == Op.Outcome.UNKNOWN).toList();
                return new Outcome(strategyName, fault, report, answered(ops) * 1e9 / report.elapsedNanos(), injected, detail,
                        keyedUnknown.size(), unresolved(keyedUnknown, prefix, clean),
                        count(ops, o -> o.kind() == Op.Kind.RESERVE && !o.hasKey()
                                && "OutcomeUnknownException".equals(o.result())),
                        ops.stream().filter(o -> "StoreUnavailableException".equals(o.result()))
                                .mapToLong(Op::latencyMicros).max().orElse(0),
                        newConnections, pool.activeConnections(), pool.totalConnections(), poolSize);
            } finally {
                close(strategy);
                close(clean);
            }
        }
    }

    /**
     * Sends each keyed request whose outcome stayed unknown again, as its caller would once the
     * store is back, on the same kind of strategy without faults: the answer must be the truth. Returns how many
     * were not.
     */
    private long unresolved(List<Op> keyedUnknown, String prefix, ReservationStrategy clean) {
        if (keyedUnknown.isEmpty()) {
            return 0;
        }
        Map<String, Long> rows = new java.util.HashMap<>();
        Snapshot.fromTables(admin.jdbi(), StrategyOptions.DEFAULT_TABLE_PREFIX, prefix).rows().values()
                .forEach(row -> rows.put(row.key(), row.id()));
        long unresolved = 0;
        for (Op op : keyedUnknown) {
            dev.capacity.ReservationResult again = clean.reserve(new dev.capacity.ReservationRequest(op.resourceId(),
                    op.holderId(), op.quantity(), op.key()));
            Long row = rows.get(op.key());
            boolean truthful = row != null
                    ? again.status() == dev.capacity.ReservationResult.Status.REPLAYED && again.reservation().id() == row
                    : again.status() != dev.capacity.ReservationResult.Status.REPLAYED;
            if (!truthful) {
                unresolved++;
            }
        }
        return unresolved;
    }

    private static void close(ReservationStrategy strategy) {
        if (strategy instanceof JdbiReservationStrategy closeable) {
            closeable.close();
        }
    }

    private static StrategyOptions options(Fault fault) {
        return fault == Fault.TIMEOUTS ? StrategyOptions.builder().lockTimeout(Duration.ofMillis(1)).build()
                : StrategyOptions.defaults();
    }

    private Snapshot snapshot(RaceHarness.Resources resources) {
        return Snapshot.fromTables(admin.jdbi(), StrategyOptions.DEFAULT_TABLE_PREFIX, resources.prefix());
    }

    /**
     * Opens every connection of the pool before the race, so that any opened during it replaced
     * one. Runs no statement: under {@link Fault#TIMEOUTS} even {@code SELECT 1} on a fresh
     * backend can outlast the statement timeout, and the faults are for the race.
     */
    private static void fill(CapacityPool pool, int size) {
        List<Handle> handles = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                handles.add(pool.jdbi().open());
            }
        } finally {
            handles.forEach(Handle::close);
        }
    }

    /** Calls that got a definite answer from the store. */
    private static long answered(List<Op> ops) {
        return count(ops, o -> switch (o.result()) {
            case "RESERVED", "REPLAYED", "INSUFFICIENT_CAPACITY", "true", "false", "done" -> true;
            default -> false;
        });
    }

    private static long count(List<Op> ops, Predicate<Op> filter) {
        return ops.stream().filter(filter).count();
    }

    private static void join(Thread thread) {
        try {
            thread.join(MAX_RACE_NANOS / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The operator: once the race is under way, stops the server; once every thread has seen it
     * gone, starts it again; once calls succeed again, ends the race. Each step waits for what the
     * racing threads record, never for a fixed time.
     */
    private final class Restart implements Runnable {
        final History history;
        final AtomicBoolean done = new AtomicBoolean();
        volatile long stoppedAt = Long.MAX_VALUE;
        volatile long startedAt = Long.MAX_VALUE;
        volatile Exception failure;

        Restart(History history) {
            this.history = history;
        }

        @Override
        public void run() {
            try {
                await("the race to get going", () -> history.count(FaultSuite::isAnswer) >= 200);
                stoppedAt = now();
                server.stop();
                await("calls to fail while the server is down", () -> history.count(o -> o.invokedMicros() >= stoppedAt
                        && "StoreUnavailableException".equals(o.result())) >= 4L * settings.threads());
                server.start();
                startedAt = now();
                // the suite's own pool still holds connections to the old server; a recently used
                // one is lent out unchecked and fails once, which takes it out of the pool
                await("the suite's own pool to reach the new server", () -> {
                    try {
                        return admin.jdbi().withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1;
                    } catch (RuntimeException e) {
                        return false;
                    }
                });
                await("calls to succeed after the restart", () -> history.count(o -> o.invokedMicros() >= startedAt
                        && isAnswer(o)) >= 200);
            } catch (Exception e) {
                failure = e;
            } finally {
                done.set(true);
            }
        }

        private void await(String what, BooleanSupplier condition) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!condition.getAsBoolean()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("waited 60 s for " + what);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
        }
    }

    /**
     * Another part of the application that takes every connection of the pool for a while
     * (400 ms, longer than the race's connection timeout), gives them back, and does it again.
     */
    private static final class Hog implements AutoCloseable {
        private final CapacityPool pool;
        private final int size;
        private final AtomicInteger cycles = new AtomicInteger();
        private final Thread thread = new Thread(this::run, "connection-hog");
        private volatile boolean running = true;

        private final BooleanSupplier go;

        Hog(CapacityPool pool, int size, BooleanSupplier go) {
            this.pool = pool;
            this.size = size;
            this.go = go;
        }

        Hog start() {
            thread.setDaemon(true);
            thread.start();
            return this;
        }

        int cycles() {
            return cycles.get();
        }

        private void run() {
            while (running) {
                if (!go.getAsBoolean()) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    continue;
                }
                List<Handle> held = new ArrayList<>();
                try {
                    for (int i = 0; i < size && running; i++) {
                        held.add(pool.jdbi().open());
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(400));
                    cycles.incrementAndGet();
                } catch (RuntimeException e) {
                    // a connection was not to be had in time: try again
                } finally {
                    held.forEach(Handle::close);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }

        @Override
        public void close() {
            running = false;
            join(thread);
        }
    }

    private static boolean isAnswer(Op o) {
        return switch (o.result()) {
            case "RESERVED", "REPLAYED", "INSUFFICIENT_CAPACITY", "true", "false" -> true;
            default -> false;
        };
    }

    private static long now() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** Throughput under {@code fault} as a share of the fault-free race of the same strategy, or NaN. */
    public static double ratio(List<Outcome> outcomes, String strategy, Fault fault) {
        double base = outcomes.stream().filter(o -> o.strategy().equals(strategy) && o.fault() == Fault.NONE)
                .mapToDouble(Outcome::answeredPerSecond).findFirst().orElse(Double.NaN);
        return outcomes.stream().filter(o -> o.strategy().equals(strategy) && o.fault() == fault)
                .mapToDouble(o -> o.answeredPerSecond() / base).findFirst().orElse(Double.NaN);
    }

    /** The outcomes as a table, with the checker's problems of any race that broke an invariant. */
    public static String table(List<Outcome> outcomes) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-19s %-14s %8s %9s %6s %7s %7s %8s %6s %6s  %-9s %s%n", "strategy",
                "fault", "injected", "answers/s", "ratio", "unknown", "keyed", "slowest", "new", "pool",
                "verdict", "faults by kind"));
        for (Outcome o : outcomes) {
            out.append(String.format(Locale.ROOT, "%-19s %-14s %8d %9.0f %6s %7d %7d %6.0fms %6d %3d/%-2d  %-9s %s%n",
                    o.strategy(), o.fault().name().toLowerCase(Locale.ROOT), o.injected(), o.answeredPerSecond(),
                    o.fault() == Fault.NONE ? "" : String.format(Locale.ROOT, "%.2f", ratio(outcomes, o.strategy(), o.fault())),
                    o.unkeyedUnknown(), o.keyedUnknown(), o.slowestFailureMicros() / 1000.0, o.newConnections(),
                    o.activeAfter(), o.totalAfter(), o.invariantsHold() ? "ok" : "VIOLATED", o.injectedDetail()));
        }
        List<RaceReport> broken = outcomes.stream().map(Outcome::report).filter(r -> !r.ok()).toList();
        if (!broken.isEmpty()) {
            out.append('\n').append(RaceReport.table(broken));
        }
        return out.toString();
    }

    /** Closes the suite's own pool (not the server). */
    public void close() {
        admin.close();
    }

    public static void main(String[] args) {
        Map<String, String> options = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        long seed = options.containsKey("seed") ? Long.parseLong(options.get("seed")) : new Random().nextLong();
        List<StrategyKind> kinds = options.containsKey("strategies")
                ? java.util.Arrays.stream(options.get("strategies").split(",")).map(StrategyKind::fromName).toList()
                : List.of(StrategyKind.OPTIMISTIC_VERSION, StrategyKind.PESSIMISTIC_LOCK, StrategyKind.CONDITIONAL_UPDATE,
                        StrategyKind.UNIQUE_SLOTS, StrategyKind.COMBINING);
        Settings defaults = Settings.defaults(seed);
        Settings settings = new Settings(defaults.threads(), defaults.capacity(),
                Duration.ofSeconds(Long.parseLong(options.getOrDefault("seconds", "2"))), defaults.kills(),
                defaults.killPause(), defaults.commitFaults(), defaults.commitFaultShare(), seed);
        System.out.println("fault suite, seed " + seed + " (replay with --seed " + seed + "), " + settings);
        List<Outcome> outcomes;
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(EmbeddedPostgresServer.Durability.FAST)) {
            FaultSuite suite = new FaultSuite(server, settings);
            try {
                outcomes = suite.run(kinds, EnumSet.allOf(Fault.class));
            } finally {
                suite.close();
            }
        } catch (RuntimeException e) {
            // printed here: once main has thrown, exec:java may no longer load the classes to say why
            System.out.println("the fault suite could not run: " + e);
            e.printStackTrace(System.out);
            System.exit(2);
            return;
        }
        System.out.println(table(outcomes));
        boolean ok = outcomes.stream().allMatch(Outcome::invariantsHold);
        for (Outcome o : outcomes) {
            if (o.fault() == Fault.KILLS || o.fault() == Fault.COMMIT_FAULTS) {
                double ratio = ratio(outcomes, o.strategy(), o.fault());
                if (ratio < MIN_THROUGHPUT_RATIO) {
                    System.out.printf(Locale.ROOT, "throughput of %s under %s: %.2f of fault-free, under %.1f%n",
                            o.strategy(), o.fault(), ratio, MIN_THROUGHPUT_RATIO);
                    ok = false;
                }
            }
        }
        System.out.println(ok ? "every invariant held" : "FAILED");
        System.exit(ok ? 0 : 1);
    }
}
