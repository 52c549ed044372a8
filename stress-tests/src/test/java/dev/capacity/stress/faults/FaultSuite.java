package dev.capacity.stress.faults;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.jdbc.testing.FaultyDataSource;
import dev.capacity.jdbc.testing.FaultyDataSource.CommitFault;
import dev.capacity.stress.internal.Database;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.History;
import dev.capacity.stress.internal.Op;
import dev.capacity.stress.internal.RaceClock;
import dev.capacity.stress.internal.RaceHarness;
import dev.capacity.stress.internal.RaceReport;
import dev.capacity.stress.internal.Scenario;
import dev.capacity.stress.internal.Snapshot;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Races every strategy on a real PostgreSQL or MariaDB server while the database misbehaves, and
 * checks each race's history with the race harness's checker: sessions ended at random moments,
 * COMMITs whose acknowledgement is lost, lock and statement timeouts set very low, a pool with
 * fewer connections than threads, and the server stopped and started again mid-run. Next to the
 * faulty races runs the same race without faults, in rounds (see {@link Fault#PAIRED}), so that
 * throughput under faults is a ratio from one run. The faults come from {@link BackendKiller},
 * {@link FaultyDataSource}, {@link PoolExhauster} and {@link ServerRestarter}, and what they do on
 * each database from its {@link FaultTarget}; {@link TimeoutWatch} counts the timeouts;
 * {@link FaultReport} prints the outcomes.
 *
 * <pre>
 * mvn -q -pl stress-tests -am test-compile exec:java@faults        # every strategy, every fault, 5 rounds
 * mvn -q -pl stress-tests -am test-compile exec:java@faults -Dexec.args="--mariadb"
 * mvn -q -pl stress-tests -am test-compile exec:java@faults -Dexec.args="--seconds 10 --rounds 3 --seed 42 --strategies combining"
 * </pre>
 *
 * <p>The main method exits with 1 if any race breaks an invariant or if, under a fault of
 * {@link Fault#PAIRED}, the median throughput over the rounds falls under
 * {@value #MIN_THROUGHPUT_RATIO} of the fault-free race's.
 */
public final class FaultSuite {

    /** Throughput under each of {@link Fault#PAIRED}, as a share of the fault-free race's: the median over the rounds. */
    public static final double MIN_THROUGHPUT_RATIO = 0.7;

    /** How long after a race the pool may take to have every connection back and open. */
    static final int REFILL_SECONDS = 10;
    /** The longest a race, or an injector's last round after it, may take. */
    static final long MAX_RACE_NANOS = TimeUnit.MINUTES.toNanos(3);
    private static final long EVIDENCE_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final AtomicInteger RACES = new AtomicInteger();

    private final FaultTarget target;
    private final Settings settings;
    private final CapacityPool admin;

    /** A suite on {@code target}'s server, which it may stop and start again; the tables are installed here. */
    FaultSuite(FaultTarget target, Settings settings) {
        this.target = target;
        this.settings = settings;
        Database db = target.admin();
        this.admin = CapacityPool.open(db.jdbcUrl(), db.user(), db.password(), 4);
        CapacitySchema.install(admin.jdbi());
    }

    /**
     * Each of {@code faults} for each strategy: those of {@link Fault#PAIRED} in rounds with the
     * fault-free yardstick, the others once after. Before the rounds, fault-free races that are
     * not reported (at least one, and as many as {@link Settings#warmUp} takes) warm the
     * strategy's code up, so that the ratios compare warm runs.
     */
    public List<RaceOutcome> run(List<StrategyKind> kinds, Set<Fault> faults) {
        List<RaceOutcome> outcomes = new ArrayList<>();
        for (StrategyKind kind : kinds) {
            long warmUntil = System.nanoTime() + settings.warmUp().toNanos();
            do {
                RaceOutcome warmUp = run(kind, Fault.NONE, 0);
                if (!warmUp.invariantsHold()) {
                    outcomes.add(warmUp);
                }
            } while (System.nanoTime() < warmUntil);
            List<Fault> paired = Fault.PAIRED.stream().filter(f -> f == Fault.NONE || faults.contains(f)).toList();
            for (int round = 0; round < settings.rounds(); round++) {
                for (int i : order(paired.size(), round)) {
                    outcomes.add(run(kind, paired.get(i), round));
                }
            }
            for (Fault fault : faults) {
                if (!Fault.PAIRED.contains(fault)) {
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
    public RaceOutcome run(StrategyKind kind, Fault fault, int round) {
        return run(kind.strategyName(), fault, round, (jdbi, options) -> JdbiStrategies.of(kind, jdbi, options));
    }

    /**
     * Whether {@code history} shows a hold confirmed, an order granted and a request refused at a
     * holder's limit; asked of the history at most every 50 ms (each asking reads all of it), and
     * true for good once seen.
     */
    private static BooleanSupplier everyKindOfWork(History history) {
        AtomicBoolean seen = new AtomicBoolean();
        AtomicLong asked = new AtomicLong(System.nanoTime() - EVIDENCE_EVERY_NANOS);
        return () -> {
            if (seen.get()) {
                return true;
            }
            long now = System.nanoTime();
            long last = asked.get();
            if (now - last < EVIDENCE_EVERY_NANOS || !asked.compareAndSet(last, now)) {
                return false;
            }
            boolean all = history.count(o -> o.answered(Op.Kind.CONFIRM, "CONFIRMED")) > 0
                    && history.count(o -> o.kind() == Op.Kind.ORDER && o.firstLine() && "RESERVED".equals(o.result())) > 0
                    && history.count(Op::holderLimited) > 0;
            if (all) {
                seen.set(true);
            }
            return all;
        };
    }

    /**
     * One race under {@code fault} of any strategy over JDBI, made by {@code strategyOn} from the
     * race's Jdbi (which carries the injected faults) and the race's options (its clock, and
     * the fault's lock timeout): for negative controls.
     */
    public RaceOutcome run(String strategyName, Fault fault, int round,
                           BiFunction<Jdbi, StrategyOptions, ReservationStrategy> strategyOn) {
        String application = "capacity-faults-" + RACES.incrementAndGet();
        int threads = settings.threads();
        int poolSize = fault == Fault.POOL_EXHAUSTED ? threads / 2 : threads + 2;
        Duration connectionTimeout = Duration.ofMillis(fault == Fault.POOL_EXHAUSTED ? 250 : 1000);
        Database db = admin.jdbi().withHandle(h -> target.race(h, application, fault == Fault.TIMEOUTS));
        // the fault-free race and the faulty ones of a round run the same plan; each fault draws its own moments
        long planSeed = settings.seed() ^ (strategyName.hashCode() * 31L + round);
        long seed = settings.seed() ^ ((strategyName.hashCode() * 31L + fault.ordinal()) * 31L + round);

        startClean();
        try (CapacityPool pool = CapacityPool.open(db.jdbcUrl(), db.user(), db.password(), poolSize, connectionTimeout)) {
            openEveryConnection(pool, poolSize);
            Object raceStart = admin.jdbi().withHandle(target::mark);
            // faults begin once the race does: the resources are defined before it, undisturbed
            AtomicBoolean racing = new AtomicBoolean();
            FaultyDataSource commitFaults = fault == Fault.COMMIT_FAULTS ? failingCommits(pool, seed, racing) : null;
            TimeoutWatch timeouts = fault == Fault.TIMEOUTS ? new TimeoutWatch(pool.dataSource(), target::timeout) : null;
            Jdbi jdbi = commitFaults != null ? Jdbi.create(commitFaults) : timeouts != null ? Jdbi.create(timeouts) : pool.jdbi();
            RaceClock clock = new RaceClock();
            StrategyOptions options = options(fault, clock);
            String prefix = RaceHarness.newPrefix("faults", seed);
            Scenario.Plan plan = racePlan(prefix, threads, settings.capacity(), planSeed);
            CommitWatch watch = commitFaults != null ? new CommitWatch(strategyOn.apply(jdbi, options), commitFaults,
                    plan.limits()::containsKey) : null;
            ReservationStrategy strategy = watch != null ? watch : strategyOn.apply(jdbi, options);
            // defines the race's resources and later checks keyed unknowns, on the suite's own pool
            ReservationStrategy faultFree = strategyOn.apply(admin.jdbi(), options);
            try {
                RaceHarness.Race race = new RaceHarness.Race(strategyName, target.name(), fault.name().toLowerCase(Locale.ROOT),
                        seed, prefix, plan, 100, MAX_RACE_NANOS, null, fault != Fault.NONE, clock);
                History history = new History();
                long started = System.nanoTime();
                // where the contract asks for every kind of work (FaultSuiteContract), the race goes on until it
                // shows each, within its time cap, rather than ending at its time with an order still to come
                BooleanSupplier everyKind = fault == Fault.POOL_EXHAUSTED || fault == Fault.RESTART ? () -> true
                        : everyKindOfWork(history);
                BooleanSupplier longEnough = () -> {
                    if (!racing.get()) {
                        racing.set(true);
                    }
                    return System.nanoTime() - started >= settings.runFor().toNanos() && everyKind.getAsBoolean();
                };

                RaceReport report;
                long injected;
                long cancels = 0;
                String detail;
                switch (fault) {
                    case KILLS -> {
                        try (BackendKiller killer = new BackendKiller(target, application, seed, settings.killPause().toMillis(),
                                racing::get).start()) {
                            report = RaceHarness.run(race, faultFree, strategy, this::snapshot, history,
                                    () -> longEnough.getAsBoolean() && killer.kills() >= settings.kills()
                                            && (target.cancelShare() == 0 || killer.cancels() >= settings.cancels()));
                            injected = killer.kills();
                            cancels = killer.cancels();
                            detail = killer.byState().toString();
                        }
                    }
                    case COMMIT_FAULTS -> {
                        report = RaceHarness.run(race, faultFree, strategy, this::snapshot, history,
                                () -> longEnough.getAsBoolean() && commitFaults.failedCommits() >= settings.commitFaults());
                        injected = commitFaults.failedCommits();
                        detail = "{after commit=" + commitFaults.failedCommits(CommitFault.AFTER_COMMIT) + ", instead of commit="
                                + commitFaults.failedCommits(CommitFault.INSTEAD_OF_COMMIT) + "; of confirms="
                                + watch.lostCommits(CommitWatch.Call.CONFIRM) + ", orders="
                                + watch.lostCommits(CommitWatch.Call.ORDER) + ", reserves at a limit="
                                + watch.lostCommits(CommitWatch.Call.LIMITED_RESERVE) + "}";
                    }
                    case POOL_EXHAUSTED -> {
                        try (PoolExhauster exhauster = new PoolExhauster(pool, poolSize, racing::get).start()) {
                            report = RaceHarness.run(race, faultFree, strategy, this::snapshot, history,
                                    () -> longEnough.getAsBoolean() && exhauster.timesExhausted() >= 3
                                            && history.count(o -> "StoreUnavailableException".equals(o.result())) > 0);
                            injected = history.count(o -> "StoreUnavailableException".equals(o.result()));
                            detail = "{connections held by another part of the application " + exhauster.timesExhausted() + " times}";
                        }
                    }
                    case TIMEOUTS -> {
                        report = RaceHarness.run(race, faultFree, strategy, this::snapshot, history,
                                () -> longEnough.getAsBoolean() && timeouts.timeouts() >= settings.timeouts());
                        injected = timeouts.timeouts();
                        detail = timeouts.byKind().toString();
                    }
                    case RESTART -> {
                        ServerRestarter restarter = new ServerRestarter(target, admin.jdbi(), threads, history).start();
                        report = RaceHarness.run(race, faultFree, strategy, this::snapshot, history, restarter::done);
                        restarter.awaitEnd();
                        injected = history.count(o -> o.invokedMicros() >= restarter.stoppedAt()
                                && o.invokedMicros() < restarter.startedAt());
                        detail = String.format(Locale.ROOT, "{down %.1f s}", (restarter.startedAt() - restarter.stoppedAt()) / 1e6);
                    }
                    default -> {
                        report = RaceHarness.run(race, faultFree, strategy, this::snapshot, history, longEnough);
                        injected = 0;
                        detail = "{}";
                    }
                }
                close(strategy);
                if (!report.ok()) {
                    writeHistory(history, strategyName, fault, seed);
                }
                long newConnections = admin.jdbi().withHandle(h -> target.sessionsOpenedSince(h, application, raceStart));
                long refillMillis = awaitRefilled(pool, poolSize);
                List<Op> ops = history.ops();
                List<Op> keyedUnknown = ops.stream()
                        .filter(o -> o.kind() == Op.Kind.RESERVE && o.hasKey() && o.outcome() == Op.Outcome.UNKNOWN).toList();
                Map<Long, List<Op>> unknownOrders = ops.stream().filter(o -> o.kind() == Op.Kind.ORDER
                        && o.outcome() == Op.Outcome.UNKNOWN).collect(java.util.stream.Collectors.groupingBy(Op::orderId,
                        java.util.LinkedHashMap::new, java.util.stream.Collectors.toList()));
                List<List<Op>> keyedUnknownOrders = unknownOrders.values().stream()
                        .filter(lines -> lines.stream().allMatch(Op::hasKey)).toList();
                return new RaceOutcome(strategyName, fault, round, report, answered(ops) * 1e9 / report.elapsedNanos(), injected, cancels, detail,
                        keyedUnknown.size() + keyedUnknownOrders.size(),
                        unresolved(keyedUnknown, prefix, faultFree) + unresolvedOrders(keyedUnknownOrders, prefix, faultFree),
                        count(ops, o -> o.kind() == Op.Kind.RESERVE && !o.hasKey()
                                && "OutcomeUnknownException".equals(o.result()))
                                + unknownOrders.size() - keyedUnknownOrders.size(),
                        ops.stream().filter(o -> (o.kind() != Op.Kind.ORDER || o.firstLine())
                                && "StoreUnavailableException".equals(o.result())).mapToLong(Op::latencyMicros).max().orElse(0),
                        watch == null ? 0 : watch.lostCommits(CommitWatch.Call.CONFIRM),
                        watch == null ? 0 : watch.lostCommits(CommitWatch.Call.ORDER),
                        watch == null ? 0 : watch.lostCommits(CommitWatch.Call.LIMITED_RESERVE),
                        newConnections, pool.activeConnections(), pool.totalConnections(), refillMillis, poolSize);
            } finally {
                close(strategy);
                close(faultFree);
            }
        } finally {
            admin.jdbi().useHandle(h -> target.raceEnded(h, application));
        }
    }

    /**
     * Empties the tables (the earlier races were checked when they ended) and writes every dirty
     * page out, so that every race starts from the same state: empty tables, and no earlier
     * race's pages left for a checkpoint or autovacuum to work on during it.
     */
    private void startClean() {
        admin.jdbi().useHandle(h -> target.empty(h, StrategyOptions.DEFAULT_TABLE_PREFIX));
    }

    /**
     * Waits until {@code pool} has every connection back and {@code size} open (it refills in
     * the background after losing some) and returns how long that took, or -1 if it was not
     * within {@value #REFILL_SECONDS} s.
     */
    private static long awaitRefilled(CapacityPool pool, int size) {
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

    /** The per-holder limit on the first resource of the suite's race. */
    static final long HOLDER_LIMIT = 3;

    /**
     * The suite's race: two resources of {@code capacity / 8} units, the first with a per-holder
     * limit of {@value #HOLDER_LIMIT}, and every thread in turn either reserves 1 to 3 units of one
     * of them, confirms it if it is a hold, and releases what it got, or, one turn in four, places
     * an order of a line of 1 or 2 units on each (in random order), confirms its lines if they are
     * holds, and releases them. Each thread holds at most one reservation (or one order's), so that
     * the threads stay alike and the mix of grants, refusals and releases stays steady from race
     * to race (a thread that piles up reservations would turn the others' calls into refusals, and
     * throughput into a measure of that); with up to three units per thread the resources still
     * run full. A reserve's holder is one of three, each shared by every third thread, so that the
     * limit refuses some; an order's holder is its own, so that an order of unknown outcome is
     * judged whole or not at all. Half the reserves and orders are holds of 5 to 60 s, and a thread
     * moves the race's clock forward by 1 to 20 s before a quarter of its turns, so that some
     * confirms come after the expiry. A quarter of the reserves and orders carry idempotency keys
     * (an order, on every line), and a third of those are sent by the next thread too, at the same
     * turn: a double submit (of a hold, both threads confirm it).
     */
    static Scenario.Plan racePlan(String prefix, int threads, int capacity, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        String a = prefix + "a";
        String b = prefix + "b";
        long each = Math.max(4, capacity / 8);
        Map<String, Long> capacities = new java.util.LinkedHashMap<>();
        capacities.put(a, each);
        capacities.put(b, each);
        int turnsPerThread = 3 * capacity / threads + 1;
        List<List<Scenario.Step>> scripts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            scripts.add(new ArrayList<>());
        }
        int[] turns = new int[threads];
        for (int turn = 0; turn < turnsPerThread; turn++) {
            for (int t = 0; t < threads; t++) {
                if (turns[t] > turn) {
                    continue; // this turn's request came from the thread before, a double submit
                }
                boolean keyed = random.nextInt(4) == 0;
                String key = keyed ? prefix + "key" + t + "-" + turn : "";
                Duration hold = random.nextBoolean() ? Duration.ofMillis(5_000 + random.nextInt(55_001)) : null;
                List<Scenario.Step> steps = new ArrayList<>();
                if (random.nextInt(4) == 0) {
                    String name = "o" + t + "-" + turn;
                    boolean aFirst = random.nextBoolean();
                    List<Scenario.Reserve> lines = new ArrayList<>();
                    for (String id : aFirst ? List.of(a, b) : List.of(b, a)) {
                        lines.add(new Scenario.Reserve(id, name, 1 + random.nextInt(2), keyed ? key + "-" + lines.size() : "",
                                hold));
                    }
                    steps.add(new Scenario.Order(name, lines));
                    if (hold != null) {
                        steps.add(new Scenario.ConfirmOrder(name));
                    }
                    steps.add(new Scenario.ReleaseOrder(name));
                } else {
                    String holder = "buyer-" + t % 3;
                    steps.add(new Scenario.Reserve(random.nextBoolean() ? a : b, holder, 1 + random.nextInt(3), key, hold));
                    if (hold != null) {
                        steps.add(new Scenario.Confirm(holder));
                    }
                    steps.add(new Scenario.ReleaseHeld(0));
                }
                turn(scripts.get(t), steps, random);
                turns[t]++;
                if (keyed && t + 1 < threads && random.nextInt(3) == 0) {
                    turn(scripts.get(t + 1), steps, random);
                    turns[t + 1]++;
                }
            }
        }
        return new Scenario.Plan(capacities, scripts, Map.of(a, HOLDER_LIMIT));
    }

    /** Adds a turn's {@code steps} to {@code script}, after a move of the clock one time in four. */
    private static void turn(List<Scenario.Step> script, List<Scenario.Step> steps, java.util.SplittableRandom random) {
        if (random.nextInt(4) == 0) {
            script.add(new Scenario.Advance(Duration.ofMillis(1_000 + random.nextInt(19_001))));
        }
        script.addAll(steps);
    }

    /**
     * Sends each keyed request whose outcome stayed unknown again, as its caller would once the
     * store is back, on the same kind of strategy without faults: the answer must be the truth. Returns how many
     * were not.
     */
    private long unresolved(List<Op> keyedUnknown, String prefix, ReservationStrategy faultFree) {
        if (keyedUnknown.isEmpty()) {
            return 0;
        }
        Map<String, Long> rows = new java.util.HashMap<>();
        Snapshot.fromTables(admin.jdbi(), StrategyOptions.DEFAULT_TABLE_PREFIX, prefix).rows().values()
                .forEach(row -> rows.put(row.key(), row.id()));
        long unresolved = 0;
        for (Op op : keyedUnknown) {
            dev.capacity.ReservationResult again = faultFree.reserve(new dev.capacity.ReservationRequest(op.resourceId(),
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

    /**
     * Sends each order whose every line is keyed and whose outcome stayed unknown again, as its
     * caller would once the store is back, on the same kind of strategy without faults: it must be
     * REPLAYED with every line's row if the rows are there, and anything else if none is. Returns
     * how many were not answered so (an order with rows for some lines only is not).
     */
    private long unresolvedOrders(List<List<Op>> keyedUnknownOrders, String prefix, ReservationStrategy faultFree) {
        if (keyedUnknownOrders.isEmpty()) {
            return 0;
        }
        Map<String, Long> rows = new java.util.HashMap<>();
        Snapshot.fromTables(admin.jdbi(), StrategyOptions.DEFAULT_TABLE_PREFIX, prefix).rows().values()
                .forEach(row -> rows.put(row.key(), row.id()));
        long unresolved = 0;
        for (List<Op> lines : keyedUnknownOrders) {
            List<dev.capacity.ReservationRequest> again = lines.stream().map(o -> new dev.capacity.ReservationRequest(
                    o.resourceId(), o.holderId(), o.quantity(), o.key(),
                    o.holdMicros() == 0 ? null : Duration.ofNanos(o.holdMicros() * 1_000))).toList();
            dev.capacity.OrderResult answer = faultFree.reserveAll(again);
            List<Long> found = lines.stream().map(o -> rows.get(o.key())).toList();
            boolean truthful;
            if (found.stream().allMatch(java.util.Objects::nonNull)) {
                truthful = answer.status() == dev.capacity.ReservationResult.Status.REPLAYED
                        && answer.reservations().stream().map(dev.capacity.Reservation::id).toList().equals(found);
            } else {
                truthful = found.stream().allMatch(java.util.Objects::isNull)
                        && answer.status() != dev.capacity.ReservationResult.Status.REPLAYED;
            }
            if (!truthful) {
                unresolved++;
            }
        }
        return unresolved;
    }

    private static void close(ReservationStrategy strategy) {
        if (strategy instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not close " + strategy, e);
            }
        }
    }

    /** The race's data source under {@link Fault#COMMIT_FAULTS}: a share of COMMITs fail once the race is on. */
    private FaultyDataSource failingCommits(CapacityPool pool, long seed, AtomicBoolean racing) {
        FaultyDataSource faulty = new FaultyDataSource(pool.dataSource());
        faulty.failCommitsAtRandom(settings.commitFaultShare(), seed, racing::get);
        return faulty;
    }

    /** The options of a race's strategies: its clock, and under {@link Fault#TIMEOUTS} a lock timeout of 1 ms. */
    private static StrategyOptions options(Fault fault, RaceClock clock) {
        StrategyOptions.Builder options = StrategyOptions.builder().clock(clock);
        return (fault == Fault.TIMEOUTS ? options.lockTimeout(Duration.ofMillis(1)) : options).build();
    }

    private Snapshot snapshot(RaceHarness.Resources resources) {
        return Snapshot.fromTables(admin.jdbi(), StrategyOptions.DEFAULT_TABLE_PREFIX, resources.prefix());
    }

    /**
     * Opens every connection of the pool before the race, so that any opened during it replaced
     * one. Runs no statement: under {@link Fault#TIMEOUTS} even {@code SELECT 1} on a fresh
     * backend can outlast the statement timeout, and the faults are for the race.
     */
    private static void openEveryConnection(CapacityPool pool, int size) {
        // the pool opens its connections in the background; under the pool-exhausted fault a borrow
        // waits 250 ms at most, less than a new session may take on a busy machine
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (pool.totalConnections() < size) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the pool opened " + pool.totalConnections() + " of its " + size
                        + " connections in 30 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        List<Handle> handles = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                handles.add(pool.jdbi().open());
            }
        } finally {
            handles.forEach(Handle::close);
        }
    }

    /**
     * Writes the history of a race that broke an invariant to
     * {@code target/fault-suite/<strategy>-<database>-<fault>-<seed>.history}, one operation a line,
     * for reading beside the checker's verdict.
     */
    private void writeHistory(History history, String strategyName, Fault fault, long seed) {
        java.nio.file.Path directory = java.nio.file.Path.of("target", "fault-suite");
        try {
            java.nio.file.Files.createDirectories(directory);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("could not create " + directory, e);
        }
        java.nio.file.Path file = directory.resolve(String.format(Locale.ROOT, "%s-%s-%s-%d.history", strategyName.replaceAll("\\W+", "-"),
                target.name(), fault.name().toLowerCase(Locale.ROOT), seed));
        history.write(file);
        System.out.println("the history of the race that broke an invariant: " + file.toAbsolutePath());
    }

    /** Calls that got a definite answer from the store. */
    private static long answered(List<Op> ops) {
        return count(ops, o -> (o.kind() != Op.Kind.ORDER || o.firstLine()) && switch (o.result()) {
            case "RESERVED", "REPLAYED", "INSUFFICIENT_CAPACITY", "HOLDER_LIMIT_REACHED", "true", "false", "done" -> true;
            default -> false;
        });
    }

    private static long count(List<Op> ops, Predicate<Op> filter) {
        return ops.stream().filter(filter).count();
    }

    /** Waits for {@code thread} to end, at most {@link #MAX_RACE_NANOS}. */
    static void join(Thread thread) {
        try {
            thread.join(MAX_RACE_NANOS / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The database the suite breaks. */
    FaultTarget target() {
        return target;
    }

    /** Closes the suite's own pool (not the server). */
    public void close() {
        admin.close();
    }

    public static void main(String[] args) {
        CommandLine line;
        try {
            line = CommandLine.parse(args);
        } catch (CommandLine.Exit exit) {
            System.out.println(exit.getMessage());
            System.exit(exit.status());
            return;
        }
        Settings settings = line.settings();
        long seed = settings.seed();
        List<StrategyKind> kinds = line.strategies();
        System.out.println("fault suite on " + line.database().label() + ", seed " + seed + " (replay with --seed " + seed
                + (line.database() == FaultTarget.Kind.MARIADB ? " --mariadb" : "") + "), " + settings);
        List<RaceOutcome> outcomes;
        try (FaultTarget target = FaultTarget.start(line.database(), Durability.FAST)) {
            FaultSuite suite = new FaultSuite(target, settings);
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
        System.out.println(FaultReport.table(outcomes));
        System.out.println(FaultReport.throughputTable(outcomes));
        boolean ok = outcomes.stream().allMatch(RaceOutcome::invariantsHold);
        for (StrategyKind kind : kinds) {
            for (Fault fault : Fault.PAIRED.subList(1, Fault.PAIRED.size())) {
                double ratio = FaultReport.medianRatio(outcomes, kind.strategyName(), fault);
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
