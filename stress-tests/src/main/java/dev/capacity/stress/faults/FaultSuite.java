package dev.capacity.stress.faults;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.jdbc.testing.FaultyDataSource;
import dev.capacity.jdbc.testing.FaultyDataSource.CommitFault;
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
 * fewer connections than threads, and the server stopped and started again mid-run. Next to the
 * faulty races runs the same race without faults, in rounds (see {@link #PAIRED}), so that
 * throughput under faults is a ratio from one run.
 *
 * <pre>
 * mvn -q -pl stress-tests -am compile exec:java@faults        # every strategy, every fault, 5 rounds
 * mvn -q -pl stress-tests -am compile exec:java@faults -Dexec.args="--seconds 10 --rounds 3 --seed 42 --strategies combining"
 * </pre>
 *
 * <p>The main method exits with 1 if any race breaks an invariant or if, under a fault of
 * {@link #PAIRED}, the median throughput over the rounds falls under
 * {@value #MIN_THROUGHPUT_RATIO} of the fault-free race's.
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

    /**
     * The faults a running application lives through without an outage, whose throughput is
     * measured against the fault-free race's. They run in rounds, each round the fault-free race
     * and these on the same plan, in an order that changes from round to round (see
     * {@link #order}), so that a drift of the machine's speed during the suite, or what one race
     * leaves behind for the next, falls on every fault alike; each fault's ratio is taken within
     * its round. The pool exhausted and the restart are outages by design (the pool is taken
     * away most of the time; the server is down for seconds) and run once, after the rounds.
     */
    public static final List<Fault> PAIRED = List.of(Fault.NONE, Fault.KILLS, Fault.COMMIT_FAULTS, Fault.TIMEOUTS);

    /** Throughput under each of {@link #PAIRED}, as a share of the fault-free race's: the median over the rounds. */
    public static final double MIN_THROUGHPUT_RATIO = 0.7;

    /**
     * How the suite runs.
     *
     * @param threads racing threads
     * @param capacity the scale of the race: its two resources hold {@code capacity / 8} units each (see {@link #turns})
     * @param runFor how long each race runs at least
     * @param warmUp how long fault-free races that are not reported run first for each strategy,
     *     so that the measured races run on warm code (on the 2-core VM a fresh JVM's throughput
     *     climbs for about 15 s of racing, to about 2.5 times its first race's)
     * @param rounds how many times the races measured against the fault-free one (see
     *     {@link #PAIRED}) run, each time with the fault-free race among them
     * @param kills backend terminations per strategy, at least
     * @param killPause the longest pause between two terminations (each pause is drawn uniformly up to it)
     * @param commitFaults failed COMMITs per strategy, at least
     * @param commitFaultShare the share of COMMITs that fail
     * @param seed the seed of the plans and of the faults
     */
    public record Settings(int threads, int capacity, Duration runFor, Duration warmUp, int rounds, int kills, Duration killPause,
                           int commitFaults, double commitFaultShare, long seed) {

        public Settings {
            if (rounds < 1) {
                throw new IllegalArgumentException("rounds must be at least 1, was " + rounds);
            }
        }

        /**
         * 8 threads for at least 2 s per race after one warm-up race, one round; per race at
         * least 50 terminations (one every 200 ms on average: every connection of the pool lost
         * about every 2 s) and 120 failed COMMITs (one in ten): over the five strategies, 250
         * terminations and 600 failed COMMITs.
         */
        public static Settings defaults(long seed) {
            return new Settings(8, 64, Duration.ofSeconds(2), Duration.ZERO, 1, 50, Duration.ofMillis(400), 120, 0.1, seed);
        }
    }

    /**
     * One race under one fault.
     *
     * @param round the round the race ran in (see {@link #PAIRED}); the races that run once
     *     count in the last round
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
     * @param totalAfter the pool's open connections after the race, once it had refilled (or given up waiting)
     * @param refillMillis how long after the race the pool took to be whole again: every
     *     connection back and open (a {@link CapacityPool} keeps a fixed number); -1 if it was
     *     not within {@value #REFILL_SECONDS} s
     * @param poolSize the pool's maximum
     */
    public record Outcome(String strategy, Fault fault, int round, RaceReport report, double answeredPerSecond, long injected,
                          String injectedDetail, long keyedUnknown, long unresolved, long unkeyedUnknown, long slowestFailureMicros,
                          long newConnections, int activeAfter, int totalAfter, long refillMillis, int poolSize) {

        /**
         * The checker found nothing, every keyed unknown outcome was resolved to the truth (and,
         * when only COMMIT acknowledgements were lost, none stayed unknown at all), and the pool
         * is whole again: no connection lent out, as many open as it keeps.
         */
        public boolean invariantsHold() {
            return report.ok() && unresolved == 0 && (fault != Fault.COMMIT_FAULTS || keyedUnknown == 0)
                    && activeAfter == 0 && totalAfter == poolSize && refillMillis >= 0;
        }
    }

    private static final int REFILL_SECONDS = 10;
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
     * Each of {@code faults} for each strategy: those of {@link #PAIRED} in rounds with the
     * fault-free yardstick, the others once after. Before the rounds, fault-free races that are
     * not reported (at least one, and as many as {@link Settings#warmUp} takes) warm the
     * strategy's code up, so that the ratios compare warm runs.
     */
    public List<Outcome> run(List<StrategyKind> kinds, Set<Fault> faults) {
        List<Outcome> outcomes = new ArrayList<>();
        for (StrategyKind kind : kinds) {
            long warmUntil = System.nanoTime() + settings.warmUp().toNanos();
            do {
                Outcome warmUp = run(kind, Fault.NONE, 0);
                if (!warmUp.invariantsHold()) {
                    outcomes.add(warmUp);
                }
            } while (System.nanoTime() < warmUntil);
            List<Fault> paired = PAIRED.stream().filter(f -> f == Fault.NONE || faults.contains(f)).toList();
            for (int round = 0; round < settings.rounds(); round++) {
                for (int i : order(paired.size(), round)) {
                    outcomes.add(run(kind, paired.get(i), round));
                }
            }
            for (Fault fault : faults) {
                if (!PAIRED.contains(fault)) {
                    outcomes.add(run(kind, fault, settings.rounds() - 1));
                }
            }
        }
        return outcomes;
    }

    /**
     * The order of {@code n} races in {@code round}: a row of a Williams design, a Latin square
     * in which each race follows each other race equally often over {@code n} rounds ({@code 2n}
     * when {@code n} is odd). Whatever one race leaves behind (a JIT that recompiled for the
     * paths a fault took, a server busy cleaning up) then weighs on every fault and on the
     * fault-free race alike, rather than always on the same one, as a plain rotation would.
     */
    static int[] order(int n, int round) {
        int[] first = new int[n]; // 0, 1, n-1, 2, n-2, 3, ...
        for (int i = 1; i < n; i++) {
            first[i] = i % 2 == 1 ? (i + 1) / 2 : n - i / 2;
        }
        int rows = n % 2 == 0 ? n : 2 * n;
        int row = round % rows;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            int at = row < n ? i : n - 1 - i;
            order[i] = (first[at] + row) % n;
        }
        return order;
    }

    /** One race of {@code kind} under {@code fault}, counted in {@code round}. */
    public Outcome run(StrategyKind kind, Fault fault, int round) {
        return run(kind.strategyName(), fault, round, jdbi -> JdbiStrategies.of(kind, jdbi, options(fault)));
    }

    /**
     * One race under {@code fault} of any strategy over JDBI, made by {@code strategyOn} from the
     * race's Jdbi (which carries the injected faults): for negative controls.
     */
    public Outcome run(String strategyName, Fault fault, int round, Function<Jdbi, ReservationStrategy> strategyOn) {
        String application = "capacity-faults-" + RUNS.incrementAndGet();
        int threads = settings.threads();
        int poolSize = fault == Fault.POOL_EXHAUSTED ? threads / 2 : threads + 2;
        Duration connectionTimeout = Duration.ofMillis(fault == Fault.POOL_EXHAUSTED ? 250 : 1000);
        Database db = server.database();
        String url = db.jdbcUrl() + "?ApplicationName=" + application
                + (fault == Fault.TIMEOUTS ? "&options=-c%20statement_timeout%3D5ms" : "");
        // the fault-free race and the faulty ones of a round run the same plan; each fault draws its own moments
        long planSeed = settings.seed() ^ (strategyName.hashCode() * 31L + round);
        long seed = settings.seed() ^ ((strategyName.hashCode() * 31L + fault.ordinal()) * 31L + round);

        startClean();
        try (CapacityPool pool = CapacityPool.open(url, db.user(), db.password(), poolSize, connectionTimeout)) {
            fill(pool, poolSize);
            Timestamp raceStart = admin.jdbi().withHandle(h -> h.createQuery("SELECT clock_timestamp()")
                    .mapTo(Timestamp.class).one());
            // faults begin once the race does: the resources are defined before it, undisturbed
            AtomicBoolean racing = new AtomicBoolean();
            FaultyDataSource commitFaults = fault == Fault.COMMIT_FAULTS ? failingCommits(pool, seed, racing) : null;
            Jdbi jdbi = commitFaults != null ? Jdbi.create(commitFaults) : pool.jdbi();
            ReservationStrategy strategy = strategyOn.apply(jdbi);
            // defines the race's resources and later checks keyed unknowns, on the suite's own pool
            ReservationStrategy clean = strategyOn.apply(admin.jdbi());
            try {
                String prefix = RaceHarness.newPrefix("faults", seed);
                Scenario.Plan plan = turns(prefix, threads, settings.capacity(), planSeed);
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
                                () -> longEnough.getAsBoolean() && commitFaults.failedCommits() >= settings.commitFaults());
                        injected = commitFaults.failedCommits();
                        detail = "{after commit=" + commitFaults.failedCommits(CommitFault.AFTER_COMMIT) + ", instead of commit="
                                + commitFaults.failedCommits(CommitFault.INSTEAD_OF_COMMIT) + "}";
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
                long refillMillis = awaitWhole(pool, poolSize);
                List<Op> ops = history.ops();
                List<Op> keyedUnknown = ops.stream()
                        .filter(o -> o.kind() == Op.Kind.RESERVE && o.hasKey() && o.outcome() == Op.Outcome.UNKNOWN).toList();
                return new Outcome(strategyName, fault, round, report, answered(ops) * 1e9 / report.elapsedNanos(), injected, detail,
                        keyedUnknown.size(), unresolved(keyedUnknown, prefix, clean),
                        count(ops, o -> o.kind() == Op.Kind.RESERVE && !o.hasKey()
                                && "OutcomeUnknownException".equals(o.result())),
                        ops.stream().filter(o -> "StoreUnavailableException".equals(o.result()))
                                .mapToLong(Op::latencyMicros).max().orElse(0),
                        newConnections, pool.activeConnections(), pool.totalConnections(), refillMillis, poolSize);
            } finally {
                close(strategy);
                close(clean);
            }
        }
    }

    /**
     * Empties the tables (the earlier races were checked when they ended) and writes every dirty
     * page out, so that every race starts from the same state: empty tables, and no earlier
     * race's pages left for a checkpoint or autovacuum to work on during it.
     */
    private void startClean() {
        String prefix = StrategyOptions.DEFAULT_TABLE_PREFIX;
        admin.jdbi().useHandle(h -> {
            h.execute("TRUNCATE " + prefix + "resource, " + prefix + "reservation, " + prefix + "slot");
            h.execute("CHECKPOINT");
        });
    }

    /**
     * Waits until {@code pool} has every connection back and {@code size} open (it refills in
     * the background after losing some) and returns how long that took, or -1 if it was not
     * within {@value #REFILL_SECONDS} s.
     */
    private static long awaitWhole(CapacityPool pool, int size) {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(REFILL_SECONDS);
        while (pool.activeConnections() != 0 || pool.totalConnections() != size) {
            if (System.nanoTime() > deadline) {
                return -1;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /**
     * The suite's race: two resources of {@code capacity / 8} units, and every thread in turn
     * reserves 1 to 3 units of one of them and releases what it got. Each thread holds at most
     * one reservation, so that the threads stay alike and the mix of grants, refusals and
     * releases stays steady from race to race (a thread that piles up reservations would turn
     * the others' calls into refusals, and throughput into a measure of that); with up to three
     * units per thread the resources still run full. A quarter of the reserves carry an
     * idempotency key, and a third of those are sent by the next thread too, at the same turn:
     * a double submit.
     */
    static Scenario.Plan turns(String prefix, int threads, int capacity, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        String a = prefix + "a";
        String b = prefix + "b";
        long each = Math.max(4, capacity / 8);
        Map<String, Long> capacities = new java.util.LinkedHashMap<>();
        capacities.put(a, each);
        capacities.put(b, each);
        int turns = 3 * capacity / threads + 1;
        List<List<Scenario.Step>> scripts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            scripts.add(new ArrayList<>());
        }
        for (int turn = 0; turn < turns; turn++) {
            for (int t = 0; t < threads; t++) {
                List<Scenario.Step> script = scripts.get(t);
                if (script.size() > 2 * turn) {
                    continue; // this turn's reserve came from the thread before, a double submit
                }
                String key = random.nextInt(4) == 0 ? prefix + "key" + t + "-" + turn : "";
                Scenario.Reserve reserve = new Scenario.Reserve(random.nextBoolean() ? a : b, "h" + t + "-" + turn,
                        1 + random.nextInt(3), key);
                script.add(reserve);
                script.add(new Scenario.ReleaseHeld(0));
                if (!key.isEmpty() && t + 1 < threads && random.nextInt(3) == 0) {
                    scripts.get(t + 1).add(reserve);
                    scripts.get(t + 1).add(new Scenario.ReleaseHeld(0));
                }
            }
        }
        return new Scenario.Plan(capacities, scripts);
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

    /** The race's data source under {@link Fault#COMMIT_FAULTS}: a share of COMMITs fail once the race is on. */
    private FaultyDataSource failingCommits(CapacityPool pool, long seed, AtomicBoolean racing) {
        FaultyDataSource faulty = new FaultyDataSource(pool.dataSource());
        faulty.failCommitsAtRandom(settings.commitFaultShare(), seed, racing::get);
        return faulty;
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

    /** Throughput of {@code outcome} as a share of the fault-free race of its strategy and round, or NaN. */
    public static double ratio(List<Outcome> outcomes, Outcome outcome) {
        return outcomes.stream()
                .filter(o -> o.strategy().equals(outcome.strategy()) && o.fault() == Fault.NONE && o.round() == outcome.round())
                .mapToDouble(o -> outcome.answeredPerSecond() / o.answeredPerSecond()).findFirst().orElse(Double.NaN);
    }

    /** The median over the rounds of the throughput ratio of {@code strategy} under {@code fault}, or NaN. */
    public static double medianRatio(List<Outcome> outcomes, String strategy, Fault fault) {
        double[] ratios = ratios(outcomes, strategy, fault);
        if (ratios.length == 0) {
            return Double.NaN;
        }
        int middle = ratios.length / 2;
        return ratios.length % 2 == 1 ? ratios[middle] : (ratios[middle - 1] + ratios[middle]) / 2;
    }

    /** The throughput ratios of {@code strategy} under {@code fault}, one per round, sorted. */
    private static double[] ratios(List<Outcome> outcomes, String strategy, Fault fault) {
        return outcomes.stream().filter(o -> o.strategy().equals(strategy) && o.fault() == fault)
                .mapToDouble(o -> ratio(outcomes, o)).filter(r -> !Double.isNaN(r)).sorted().toArray();
    }

    /**
     * Throughput under each fault of {@link #PAIRED} as a share of the fault-free race's, per
     * strategy: the median over the rounds and the range.
     */
    public static String throughputTable(List<Outcome> outcomes) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-19s", "throughput ratio"));
        List<Fault> faults = PAIRED.subList(1, PAIRED.size());
        for (Fault fault : faults) {
            out.append(String.format(Locale.ROOT, " %-24s", fault.name().toLowerCase(Locale.ROOT) + " (median, range)"));
        }
        out.append('\n');
        for (String strategy : outcomes.stream().map(Outcome::strategy).distinct().toList()) {
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

    /** The outcomes as a table, with the checker's problems of any race that broke an invariant. */
    public static String table(List<Outcome> outcomes) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-19s %-14s %5s %8s %9s %6s %8s %8s %7s %7s %8s %6s %6s %7s  %-9s %s%n", "strategy",
                "fault", "round", "injected", "answers/s", "ratio", "granted", "p99", "unknown", "keyed", "slowest", "new", "pool", "whole",
                "verdict", "faults by kind"));
        for (Outcome o : outcomes) {
            out.append(String.format(Locale.ROOT, "%-19s %-14s %5d %8d %9.0f %6s %7.0f%% %6.1fms %7d %7d %6.0fms %6d %3d/%-2d %7s  %-9s %s%n",
                    o.strategy(), o.fault().name().toLowerCase(Locale.ROOT), o.round() + 1, o.injected(), o.answeredPerSecond(),
                    o.fault() == Fault.NONE ? "" : String.format(Locale.ROOT, "%.2f", ratio(outcomes, o)),
                    o.report().reserves() == 0 ? 0.0 : 100.0 * o.report().grants() / o.report().reserves(),
                    o.report().p99Micros() / 1000.0,
                    o.unkeyedUnknown(), o.keyedUnknown(), o.slowestFailureMicros() / 1000.0, o.newConnections(),
                    o.activeAfter(), o.totalAfter(), o.refillMillis() < 0 ? "never" : o.refillMillis() + "ms",
                    o.invariantsHold() ? "ok" : "VIOLATED", o.injectedDetail()));
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

    /** The option's value, a whole number of at least {@code least}, or {@code fallback} if it was not given. */
    private static long whole(Map<String, String> options, String name, long fallback, long least) {
        String given = options.get(name);
        if (given == null) {
            return fallback;
        }
        long value;
        try {
            value = Long.parseLong(given);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, was '" + given + "'");
        }
        if (value < least) {
            throw new IllegalArgumentException("--" + name + " must be at least " + least + ", was " + value);
        }
        return value;
    }

    private static final String USAGE = """
            usage: exec:java@faults -Dexec.args="[options]"
              --seconds N         each race runs at least N seconds (default 3)
              --warmup N          seconds of unreported fault-free racing per strategy first (default 15)
              --rounds N          rounds of the fault-free race, kills, lost COMMITs and timeouts (default 5)
              --kill-pause MS     the longest pause between two backend terminations (default 400)
              --seed N            the seed of the plans and faults (default: random, printed)
              --strategies a,b    strategies by name (default: the five database strategies)
              --help              this text""";

    public static void main(String[] args) {
        Map<String, String> options = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            String name = args[i].replaceFirst("^--", "");
            if (name.equals("help")) {
                System.out.println(USAGE);
                System.exit(0);
                return;
            }
            if (!Set.of("seed", "strategies", "seconds", "warmup", "rounds", "kill-pause").contains(name) || i + 1 >= args.length) {
                System.out.println((i + 1 >= args.length && !name.equals(args[i]) ? "missing value for " : "unknown option ")
                        + args[i] + "\n" + USAGE);
                System.exit(2);
                return;
            }
            options.put(name, args[i + 1]);
        }
        long seed;
        List<StrategyKind> kinds;
        Settings settings;
        try {
            seed = options.containsKey("seed") ? whole(options, "seed", 0, Long.MIN_VALUE) : new Random().nextLong();
            kinds = options.containsKey("strategies")
                    ? java.util.Arrays.stream(options.get("strategies").split(",")).map(StrategyKind::fromName).toList()
                    : List.of(StrategyKind.OPTIMISTIC_VERSION, StrategyKind.PESSIMISTIC_LOCK, StrategyKind.CONDITIONAL_UPDATE,
                            StrategyKind.UNIQUE_SLOTS, StrategyKind.COMBINING);
            if (kinds.contains(StrategyKind.IN_MEMORY)) {
                throw new IllegalArgumentException("strategies: in-memory has no database to break");
            }
            Settings defaults = Settings.defaults(seed);
            settings = new Settings(defaults.threads(), defaults.capacity(),
                    Duration.ofSeconds(whole(options, "seconds", 3, 1)), Duration.ofSeconds(whole(options, "warmup", 15, 0)),
                    (int) Math.min(Integer.MAX_VALUE, whole(options, "rounds", 5, 1)), defaults.kills(),
                    Duration.ofMillis(whole(options, "kill-pause", defaults.killPause().toMillis(), 1)),
                    defaults.commitFaults(), defaults.commitFaultShare(), seed);
        } catch (IllegalArgumentException e) {
            System.out.println(e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
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
        System.out.println(throughputTable(outcomes));
        boolean ok = outcomes.stream().allMatch(Outcome::invariantsHold);
        for (StrategyKind kind : kinds) {
            for (Fault fault : PAIRED.subList(1, PAIRED.size())) {
                double ratio = medianRatio(outcomes, kind.strategyName(), fault);
                if (!(ratio >= MIN_THROUGHPUT_RATIO)) {
                    System.out.printf(Locale.ROOT, "throughput of %s under %s: %.2f of fault-free (median), under %.1f%n",
                            kind.strategyName(), fault.name().toLowerCase(Locale.ROOT), ratio, MIN_THROUGHPUT_RATIO);
                    ok = false;
                }
            }
        }
        System.out.println(ok ? "every invariant held, and throughput under every fault of the rounds" : "FAILED");
        System.exit(ok ? 0 : 1);
    }
}
