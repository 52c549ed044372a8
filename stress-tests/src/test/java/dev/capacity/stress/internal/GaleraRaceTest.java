package dev.capacity.stress.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Every strategy on a three-node MariaDB Galera cluster (synchronous multi-primary replication),
 * the race's threads spread over the three nodes ({@link SpreadStrategy}): each history checked as
 * everywhere else, and what the race left read on every node, which must agree. Runs only where
 * {@code stress-tests/galera/cluster.sh} can run a cluster (Debian's {@code galera-4} and
 * {@code mariadb-server}, installed beforehand by {@code cluster.sh install} as root); elsewhere, or
 * with {@code -Dcapacity.galera=skip}, it is skipped with one line saying why.
 *
 * <p>A row written on two nodes at once is decided at COMMIT: the writeset certified second fails
 * with 1213 (SQLSTATE 40001), the error InnoDB gives a deadlock, which the library already takes
 * for a lost race. The reports count those certification failures, and the local transactions
 * that a replicated writeset aborted (brute-force aborts), per strategy.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class GaleraRaceTest {

    /** Three threads per node. */
    static final int THREADS = 9;
    static final int CAPACITY = 80;
    static final List<StrategyKind> KINDS = RaceHarnessTest.JDBI_KINDS;

    /**
     * {@code wsrep_sync_wait} of the strategies' connections: 7 makes the first SELECT, UPDATE,
     * DELETE or INSERT of a transaction wait until its node has applied every writeset the cluster
     * committed before it. At 0 (Galera's default) a node answers from rows another node has already
     * changed: races refused units that a release on another node had freed (undersold, 2 races in
     * 30 on 2026-11-30); at 1 (reads) and at 3 (and updates) they still did, since a statement waits
     * only while no transaction is open ({@code wsrep_must_sync_wait} in MariaDB's
     * {@code sql/wsrep_mysqld.cc}), and a reserve's transaction begins with the INSERT of its
     * reservation (pessimistic-lock, conditional-update). {@code -Dcapacity.galera.syncWait=0} shows it.
     */
    static final int SYNC_WAIT = Integer.getInteger("capacity.galera.syncWait", 7);

    private static GaleraCluster cluster;
    private static final List<CapacityPool> pools = new ArrayList<>();
    private static final List<Jdbi> causal = new ArrayList<>();

    @BeforeAll
    static void start() {
        Optional<String> unavailable = GaleraCluster.unavailable();
        if (unavailable.isPresent()) {
            System.out.println("GaleraRaceTest skipped: " + unavailable.get());
        }
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "GaleraRaceTest skipped: " + unavailable.orElseThrow());
        cluster = GaleraCluster.start(3);
        for (int n = 1; n <= cluster.size(); n++) {
            Database node = cluster.node(n);
            pools.add(CapacityPool.open(node.jdbcUrl() + "?sessionVariables=wsrep_sync_wait=" + SYNC_WAIT, node.user(),
                    node.password(), THREADS + 4));
            Database read = cluster.causalNode(n);
            causal.add(Jdbi.create(read.jdbcUrl(), read.user(), read.password()));
        }
        CapacitySchema.install(pools.get(0).jdbi());
    }

    @AfterAll
    static void stop() {
        pools.forEach(CapacityPool::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Certification failures and brute-force aborts over the cluster, before and after a race. */
    record Conflicts(long certificationFailures, long bruteForceAborts) {

        /** Per node: a node that restarted counts from 0 again. */
        static List<Conflicts> now(GaleraCluster cluster) {
            List<Conflicts> nodes = new ArrayList<>();
            for (int n = 1; n <= cluster.size(); n++) {
                nodes.add(new Conflicts(cluster.statusOf(n, "wsrep_local_cert_failures"),
                        cluster.statusOf(n, "wsrep_local_bf_aborts")));
            }
            return nodes;
        }

        /** What the nodes counted since {@code before}, a node whose count went back counted from 0. */
        static Conflicts since(List<Conflicts> before, List<Conflicts> after) {
            Conflicts sum = new Conflicts(0, 0);
            for (int n = 0; n < after.size(); n++) {
                Conflicts b = before.get(n);
                Conflicts a = after.get(n);
                sum = sum.plus(new Conflicts(a.certificationFailures >= b.certificationFailures
                        ? a.certificationFailures - b.certificationFailures : a.certificationFailures,
                        a.bruteForceAborts >= b.bruteForceAborts ? a.bruteForceAborts - b.bruteForceAborts
                                : a.bruteForceAborts));
            }
            return sum;
        }

        Conflicts plus(Conflicts other) {
            return new Conflicts(certificationFailures + other.certificationFailures,
                    bruteForceAborts + other.bruteForceAborts);
        }
    }

    /** A race on the cluster: its report, what every node held after it, and the conflicts it met. */
    record GaleraRace(RaceReport report, List<Snapshot> nodes, Conflicts conflicts) {

        /** Whether every node read the same resources and rows. */
        boolean nodesAgree() {
            Snapshot first = nodes.get(0);
            return nodes.stream().allMatch(s -> s.resources().equals(first.resources())
                    && s.rows().equals(first.rows()));
        }

        String describe() {
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%s %s: %d certification failures,"
                    + " %d brute-force aborts, %d attempts for %d reserves; nodes %s", report.strategy(),
                    report.workload(), conflicts.certificationFailures(), conflicts.bruteForceAborts(),
                    report.attempts(), report.reserves(), nodesAgree() ? "agree" : "DISAGREE"));
            if (!nodesAgree()) {
                for (int n = 0; n < nodes.size(); n++) {
                    out.append("\n  node").append(n + 1).append(": ").append(nodes.get(n).resources().values());
                }
            }
            return out.toString();
        }
    }

    @Test
    @Order(1)
    void everyStrategy_clientsOnThreeNodes_throughTheScenarios_checksOut() {
        long seed = RaceHarnessTest.seed();
        List<GaleraRace> races = new ArrayList<>();
        for (Scenario scenario : List.of(Scenario.HOT, Scenario.CHURN, Scenario.RESIZE, Scenario.CHECKOUT,
                Scenario.CROSSING_ORDERS, Scenario.HOLDER_BOT)) {
            for (StrategyKind kind : KINDS) {
                if (kind == StrategyKind.UNIQUE_SLOTS && scenario == Scenario.RESIZE) {
                    // its resize excludes reserves by a row lock, which holds on one node only: see
                    // uniqueSlots_shrinkOnOneNodeRacingAReserveOnAnother and docs/scale-out.md
                    continue;
                }
                races.add(race(kind, scenario, seed, clock -> perNode(kind, clock)));
            }
        }
        List<RaceReport> reports = races.stream().map(GaleraRace::report).toList();
        String table = RaceReport.table(reports) + "\n" + String.join("\n", races.stream().map(GaleraRace::describe).toList())
                + "\n" + conflictsByStrategy(races);
        System.out.println(table);

        assertThat(reports).as(table).allMatch(RaceReport::ok);
        assertThat(races).as(table).allMatch(GaleraRace::nodesAgree);
        // the races raced: demand beyond the capacity, and writes of one row from two nodes at once
        assertThat(reports).as(table).filteredOn(r -> r.workload().equals("hot"))
                .allMatch(r -> r.refused() > 0 && r.grantedUnits() > 0);
        Conflicts total = races.stream().map(GaleraRace::conflicts).reduce(new Conflicts(0, 0), Conflicts::plus);
        assertThat(total.certificationFailures() + total.bruteForceAborts()).as(table).isPositive();
    }

    /**
     * THE NEGATIVE CONTROL: the naive check-then-act, three threads on each node lined up between
     * their check and their write. Certification turns some of the lost updates into failed
     * COMMITs (across nodes), but three callers on one node lose theirs to each other: the race
     * must be caught.
     */
    @Test
    @Order(2)
    void naiveCheckThenAct_onThreeNodes_isCaught() {
        long seed = RaceHarnessTest.seed();
        List<GaleraRace> races = new ArrayList<>();
        for (Scenario scenario : List.of(Scenario.HOT, Scenario.MIXED)) {
            races.add(race(null, scenario, seed, clock -> pools.stream()
                    .map(p -> (ReservationStrategy) new NaiveCheckThenActStrategy(p.jdbi(), THREADS / pools.size()))
                    .toList()));
        }
        List<RaceReport> reports = races.stream().map(GaleraRace::report).toList();
        String table = RaceReport.table(reports) + "\n" + String.join("\n", races.stream().map(GaleraRace::describe).toList());
        System.out.println(table);

        assertThat(reports).as(table).allMatch(r -> !r.ok() && r.verdict().ledger() > 0 && r.verdict().oversold() > 0);
    }

    /**
     * unique-slots makes no sold-out mark on a Galera node: its row locks hold on that node only,
     * so a release on another node could leave a mark over a free slot. A refusal of a full
     * resource leaves it unmarked on every node, and the slot a release on another node frees is
     * sold at once.
     */
    @Test
    @Order(2)
    void uniqueSlots_refusingAFullResource_marksNothingSoldOut() {
        String run = "sold-out-" + Long.toHexString(System.nanoTime());
        try (JdbiReservationStrategy one = JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, pools.get(0).jdbi());
             JdbiReservationStrategy two = JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, pools.get(1).jdbi())) {
            one.define(run, 1);
            long held = one.reserve(ReservationRequest.of(run, "first")).reservation().id();
            assertThat(two.reserve(ReservationRequest.of(run, "late")).status())
                    .isEqualTo(ReservationResult.Status.INSUFFICIENT_CAPACITY);
            for (Jdbi node : causal) {
                boolean marked = node.withHandle(h -> h.createQuery("SELECT sold_out FROM capacity_resource WHERE id = :id")
                        .bind("id", run).mapTo(Boolean.class).one());
                assertThat(marked).as("no mark on a Galera node").isFalse();
            }
            assertThat(one.release(held)).isTrue();
            assertThat(two.reserve(ReservationRequest.of(run, "next")).status()).isEqualTo(ReservationResult.Status.RESERVED);
        }
    }

    /** Reserve calls answered (or failed) before the kill, between the kill and the rejoin, and after it. */
    static final int CALLS_PER_PHASE = Integer.getInteger("capacity.galera.callsPerPhase", 150);
    /** The strategies' retry time in the failover race. */
    static final Duration FAILOVER_RETRY_TIME = Duration.ofSeconds(15);
    /** The longest a phase of the failover race may take before the race is ended and the test fails. */
    static final Duration PHASE_DEADLINE = Duration.ofSeconds(90);

    /**
     * One node SIGKILLed mid-race, for every strategy (a different node each time): the three
     * groups of clients connect through Connector/J's {@code sequential} URL, each group to another
     * node first, so that one group loses its node and fails over to the next one. The race goes
     * on until the node has rejoined (its state caught up by IST, or SST) and more calls were
     * made; then every keyed request whose outcome stayed unknown is sent again and must be
     * answered truthfully, the history must check out (nothing acknowledged lost, nothing
     * oversold, one reservation per key), every node must hold the same rows, and the cluster must
     * be three Synced nodes again.
     */
    @Test
    @Order(3)
    void nodeKilledMidRace_clientsFailOver_nothingAcknowledgedIsLost_andTheNodeRejoins() throws Exception {
        long seed = RaceHarnessTest.seed();
        List<String> lines = new ArrayList<>();
        List<RaceReport> reports = new ArrayList<>();
        List<FailoverRace> races = new ArrayList<>();
        int victim = 1;
        for (StrategyKind kind : KINDS) {
            // new pools for each race: Connector/J's sequential mode stays on the node it failed over to
            List<CapacityPool> failover = new ArrayList<>();
            for (int n = 1; n <= cluster.size(); n++) {
                Database hosts = cluster.failover(n);
                failover.add(CapacityPool.open(hosts.jdbcUrl() + "?sessionVariables=wsrep_sync_wait=" + SYNC_WAIT,
                        hosts.user(), hosts.password(), THREADS + 4));
            }
            try {
                FailoverRace race = failoverRace(kind, Scenario.CHURN, seed, failover, victim);
                races.add(race);
                reports.add(race.race().report());
                lines.add(race.describe());
            } finally {
                failover.forEach(CapacityPool::close);
            }
            victim = victim % cluster.size() + 1;
        }
        String table = RaceReport.table(reports) + "\n" + String.join("\n", lines);
        System.out.println(table);

        assertThat(reports).as(table).allMatch(RaceReport::ok);
        assertThat(races).as(table).allMatch(r -> r.race().nodesAgree());
        // after the unknown ones were sent again: still one reservation per key, on every node
        assertThat(races).as(table).allMatch(r -> r.race().nodes().get(0).rows().values().stream()
                .filter(row -> !row.key().isEmpty()).map(Snapshot.Row::key).distinct().count()
                == r.race().nodes().get(0).rows().values().stream().filter(row -> !row.key().isEmpty()).count());
        assertThat(races).as(table).allMatch(r -> r.rejoined().startsWith("node") && r.callsAfterKill() > 0);
        assertThat(cluster.status()).as(table).doesNotContain("down").contains("Synced 3");
    }

    /** A failover race and what happened around it. */
    record FailoverRace(GaleraRace race, int victim, long callsBeforeKill, long callsAfterKill, String rejoined,
                        long unknownKeyed, long resolvedReplayed, long resolvedAnew, Duration killedFor) {

        String describe() {
            return String.format(Locale.ROOT, "%s: node%d killed after %d calls, down for %.1f s, %d calls after the"
                            + " kill; %s; unknown keyed requests sent again: %d (%d REPLAYED, %d decided anew); %s",
                    race.report().strategy(), victim, callsBeforeKill, killedFor.toMillis() / 1000.0, callsAfterKill,
                    rejoined, unknownKeyed, resolvedReplayed, resolvedAnew, race.describe());
        }
    }

    /** Counts the calls made, and lets a thread wait for a number of them (no sleeping). */
    static final class Progress {
        private long calls;

        synchronized void called() {
            calls++;
            notifyAll();
        }

        synchronized long calls() {
            return calls;
        }

        /** Waits until {@code count} calls were made; false if {@code timeout} ran out first. */
        synchronized boolean await(long count, Duration timeout) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (calls < count) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }
    }

    /** Throws what the killer failed with, if it has failed. */
    private static void requireNotFailed(Future<?> killer) {
        if (killer.isDone()) {
            try {
                killer.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("the node killer failed: " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException | CancellationException e) {
                throw new IllegalStateException("the node killer was stopped", e);
            }
        }
    }

    private static FailoverRace failoverRace(StrategyKind kind, Scenario scenario, long seed, List<CapacityPool> pools,
                                             int victim) throws Exception {
        RaceClock clock = new RaceClock();
        // a retry budget beyond the cluster's failure detection (evs.suspect_timeout, 3 s here): while the
        // survivors decide that the node is gone, every commit waits and then loses its race
        StrategyOptions options = StrategyOptions.from(clock.options()).maxAttempts(1_000)
                .maxRetryTime(FAILOVER_RETRY_TIME).backoff(Duration.ofMillis(1), Duration.ofMillis(250)).build();
        List<ReservationStrategy> groups = pools.stream()
                .map(p -> (ReservationStrategy) JdbiStrategies.of(kind, p.jdbi(), options)).toList();
        SpreadStrategy spread = new SpreadStrategy(groups);
        String prefix = RaceHarness.newPrefix("failover", seed);
        Scenario.Plan plan = scenario.plan(prefix, THREADS, CAPACITY, seed);
        plan.capacities().forEach(groups.get(0)::define);
        for (Jdbi node : causal) {
            assertThat(Snapshot.fromTables(node, "capacity_", prefix).resources()).hasSize(plan.capacities().size());
        }
        Progress progress = new Progress();
        AtomicBoolean done = new AtomicBoolean();
        long[] marks = new long[2];
        String[] rejoined = {"did not rejoin"};
        long[] downNanos = {0};
        ExecutorService killer = Executors.newSingleThreadExecutor();
        Future<?> killed = killer.submit(() -> {
            try {
                if (!progress.await(CALLS_PER_PHASE, PHASE_DEADLINE)) {
                    throw new IllegalStateException("only " + progress.calls() + " calls before the kill in "
                            + PHASE_DEADLINE.toSeconds() + " s");
                }
                marks[0] = progress.calls();
                long down = System.nanoTime();
                cluster.kill(victim);
                if (!progress.await(marks[0] + CALLS_PER_PHASE, PHASE_DEADLINE)) {
                    throw new IllegalStateException("only " + (progress.calls() - marks[0]) + " calls after node"
                            + victim + " was killed, in " + PHASE_DEADLINE.toSeconds() + " s: " + cluster.status());
                }
                rejoined[0] = cluster.rejoin(victim);
                downNanos[0] = System.nanoTime() - down;
                long back = progress.calls();
                if (!progress.await(back + CALLS_PER_PHASE, PHASE_DEADLINE)) {
                    throw new IllegalStateException("only " + (progress.calls() - back) + " calls after node" + victim
                            + " rejoined, in " + PHASE_DEADLINE.toSeconds() + " s");
                }
                marks[1] = progress.calls() - marks[0];
                return null;
            } finally {
                done.set(true);
            }
        });
        Function<ReservationRequest, ReservationResult> reserve = request -> {
            try {
                return spread.reserve(request);
            } finally {
                progress.called();
            }
        };
        String name = kind.strategyName();
        RaceHarness.Race race = new RaceHarness.Race(name, "galera x3", scenario.label() + " + kill", seed, prefix, plan,
                100, PHASE_DEADLINE.multipliedBy(3).toNanos(), "mvn -o -q -pl stress-tests -am surefire:test"
                + " -Dtest=GaleraRaceTest -Dcapacity.seed=" + seed, true, clock);
        List<Conflicts> before = Conflicts.now(cluster);
        History history = new History();
        RaceReport report;
        try {
            report = RaceHarness.run(race, groups.get(0), spread, reserve, r -> {
                // a killer that failed ended the race early, perhaps with its victim still down: its
                // failure is the news, not the snapshot that cannot reach the victim
                requireNotFailed(killed);
                return Snapshot.fromTables(causal.get(0), "capacity_", r.prefix());
            }, history, done::get);
            killed.get(PHASE_DEADLINE.multipliedBy(4).toSeconds(), TimeUnit.SECONDS);
        } finally {
            done.set(true);
            killer.shutdownNow();
            if (!rejoined[0].startsWith("node")) {
                // the race failed with its victim down: bring it back, so the tests after it run on three nodes
                try {
                    rejoined[0] = "did not rejoin during the race; after it: " + cluster.rejoin(victim);
                } catch (RuntimeException e) {
                    rejoined[0] = "did not rejoin, not even after the race: " + e.getMessage();
                }
            }
        }
        // every keyed request whose outcome stayed unknown, sent again: REPLAYED if it took effect
        long unknown = 0;
        long replayed = 0;
        long anew = 0;
        ReservationStrategy survivor = groups.get(victim % groups.size());
        for (Op op : history.ops()) {
            if (op.kind() == Op.Kind.RESERVE && op.outcome() == Op.Outcome.UNKNOWN && !op.key().isEmpty()) {
                unknown++;
                ReservationResult again = survivor.reserve(new ReservationRequest(op.resourceId(), op.holderId(),
                        op.quantity(), op.key(), null));
                if (again.status() == ReservationResult.Status.REPLAYED) {
                    replayed++;
                } else {
                    anew++;
                }
            }
        }
        for (ReservationStrategy group : groups) {
            ((JdbiReservationStrategy) group).close();
        }
        Conflicts conflicts = Conflicts.since(before, Conflicts.now(cluster));
        List<Snapshot> after = causal.stream().map(node -> Snapshot.fromTables(node, "capacity_", prefix)).toList();
        return new FailoverRace(new GaleraRace(report, after, conflicts), victim, marks[0], marks[1], rejoined[0],
                unknown, replayed, anew, Duration.ofNanos(downNanos[0]));
    }

    /** Seconds each strategy races on each side of the measurement; the long form: {@code -Dcapacity.galera.seconds=30}. */
    static final int MEASURE_SECONDS = Integer.getInteger("capacity.galera.seconds", 3);

    /**
     * Throughput per strategy on the three nodes (the threads spread over them) and on one plain
     * server with the same settings (wsrep off), side by side in one run, the order alternating
     * from strategy to strategy; the reserve/release churn repeated for {@link #MEASURE_SECONDS}.
     * Reported, not asserted (speed is not a unit test's business); the histories are checked.
     */
    @Test
    @Order(4)
    void throughput_threeNodesBesideOne_perStrategy() {
        long seed = RaceHarnessTest.seed();
        List<RaceReport> reports = new ArrayList<>();
        StringBuilder table = new StringBuilder(String.format("%-20s %10s %10s %7s %10s %10s %12s %12s%n", "strategy",
                "1 node/s", "3 nodes/s", "ratio", "p99 1 ms", "p99 3 ms", "cert-fail/1k", "bf-abort/1k"));
        try (GaleraCluster single = GaleraCluster.start(1)) {
            Database one = single.node(1);
            try (CapacityPool pool = CapacityPool.open(one.jdbcUrl(), one.user(), one.password(), THREADS + 4)) {
                CapacitySchema.install(pool.jdbi());
                boolean singleFirst = true;
                for (StrategyKind kind : KINDS) {
                    RaceReport alone = null;
                    GaleraRace spread = null;
                    for (int side = 0; side < 2; side++) {
                        if ((side == 0) == singleFirst) {
                            alone = timed(kind, seed, pool);
                        } else {
                            spread = timedOnCluster(kind, seed);
                        }
                    }
                    singleFirst = !singleFirst;
                    reports.add(alone);
                    reports.add(spread.report());
                    long requests = spread.report().reserves() + spread.report().orders();
                    table.append(String.format(Locale.ROOT, "%-20s %10.0f %10.0f %7.2f %10.1f %10.1f %12.1f %12.1f%n",
                            kind.strategyName(), alone.throughput(), spread.report().throughput(),
                            spread.report().throughput() / alone.throughput(), alone.p99Micros() / 1000.0,
                            spread.report().p99Micros() / 1000.0,
                            1000.0 * spread.conflicts().certificationFailures() / requests,
                            1000.0 * spread.conflicts().bruteForceAborts() / requests));
                }
            }
        }
        String all = RaceReport.table(reports) + "\n" + MEASURE_SECONDS + " s each, " + THREADS + " threads, "
                + Runtime.getRuntime().availableProcessors() + " CPUs, reserve/release churn\n" + table;
        System.out.println(all);
        assertThat(reports).as(all).allMatch(RaceReport::ok);
    }

    private static Scenario.Plan churn(String prefix, long seed) {
        return Scenario.CHURN.plan(prefix, THREADS, CAPACITY, seed);
    }

    /** The churn repeated for {@link #MEASURE_SECONDS} on one server. */
    private static RaceReport timed(StrategyKind kind, long seed, CapacityPool pool) {
        RaceClock clock = new RaceClock();
        String prefix = RaceHarness.newPrefix("one", seed);
        try (JdbiReservationStrategy strategy = JdbiStrategies.of(kind, pool.jdbi(), clock.options())) {
            RaceHarness.Race race = new RaceHarness.Race(kind.strategyName(), "mariadb x1", "churn " + MEASURE_SECONDS
                    + " s", seed, prefix, churn(prefix, seed), 100, Duration.ofSeconds(MEASURE_SECONDS).toNanos(), null,
                    false, clock);
            return RaceHarness.run(race, strategy, r -> Snapshot.fromTables(pool.jdbi(), "capacity_", r.prefix()),
                    new History());
        }
    }

    /** The churn repeated for {@link #MEASURE_SECONDS} on the three nodes, the threads spread over them. */
    private static GaleraRace timedOnCluster(StrategyKind kind, long seed) {
        return race(kind, Scenario.CHURN, seed, clock -> perNode(kind, clock), Duration.ofSeconds(MEASURE_SECONDS));
    }

    /** The strategies of {@code kind}, one per node, judging holds by {@code clock}. */
    private static List<ReservationStrategy> perNode(StrategyKind kind, RaceClock clock) {
        return pools.stream().map(p -> (ReservationStrategy) JdbiStrategies.of(kind, p.jdbi(), clock.options())).toList();
    }

    /**
     * Runs {@code scenario} with its threads spread over the nodes' strategies: the resources
     * defined on node 1 and seen on every node before the race starts, the history checked
     * against node 1's tables, and every node's tables read after it (each read waits until its
     * node has applied everything committed before it).
     */
    static GaleraRace race(StrategyKind kind, Scenario scenario, long seed,
                           Function<RaceClock, List<ReservationStrategy>> strategies) {
        return race(kind, scenario, seed, strategies, Duration.ZERO);
    }

    /** {@link #race} repeated for {@code duration}, or run once for zero. */
    static GaleraRace race(StrategyKind kind, Scenario scenario, long seed,
                           Function<RaceClock, List<ReservationStrategy>> strategies, Duration duration) {
        RaceClock clock = new RaceClock();
        List<ReservationStrategy> nodes = strategies.apply(clock);
        SpreadStrategy spread = new SpreadStrategy(nodes);
        String prefix = RaceHarness.newPrefix("galera", seed);
        Scenario.Plan plan = scenario.plan(prefix, THREADS, CAPACITY, seed);
        ReservationStrategy definer = nodes.get(0);
        plan.capacities().forEach(definer::define);
        plan.limits().forEach(definer::limitPerHolder);
        for (Jdbi node : causal) {
            // a node that has not applied the definitions yet would answer UNKNOWN_RESOURCE
            assertThat(Snapshot.fromTables(node, "capacity_", prefix).resources()).hasSize(plan.capacities().size());
        }
        String name = kind == null ? nodes.get(0).name() : kind.strategyName();
        RaceHarness.Race race = new RaceHarness.Race(name, "galera x3", scenario.label()
                + (duration.isZero() ? "" : " " + duration.toSeconds() + " s"), seed, prefix, plan, 100, duration.toNanos(),
                "mvn -o -q -pl stress-tests -am surefire:test -Dtest=GaleraRaceTest -Dcapacity.seed=" + seed, false,
                clock);
        List<Conflicts> before = Conflicts.now(cluster);
        RaceReport report;
        try {
            report = RaceHarness.run(race, definer, spread, spread::reserve,
                    r -> Snapshot.fromTables(causal.get(0), "capacity_", r.prefix()), new History(), () -> false);
        } finally {
            for (ReservationStrategy node : nodes) {
                if (node instanceof JdbiReservationStrategy closeable) {
                    closeable.close();
                }
            }
        }
        Conflicts conflicts = Conflicts.since(before, Conflicts.now(cluster));
        List<Snapshot> after = causal.stream().map(node -> Snapshot.fromTables(node, "capacity_", prefix)).toList();
        return new GaleraRace(report, after, conflicts);
    }

    /** Certification failures and brute-force aborts per strategy, over every race, per 1,000 reserves. */
    static String conflictsByStrategy(List<GaleraRace> races) {
        Map<String, long[]> by = new LinkedHashMap<>();
        for (GaleraRace race : races) {
            long[] sums = by.computeIfAbsent(race.report().strategy(), s -> new long[4]);
            sums[0] += race.conflicts().certificationFailures();
            sums[1] += race.conflicts().bruteForceAborts();
            sums[2] += race.report().reserves() + race.report().orders();
            sums[3] += race.report().attempts();
        }
        StringBuilder out = new StringBuilder(String.format("%-20s %10s %10s %10s %10s %14s%n", "strategy", "requests",
                "attempts", "cert-fail", "bf-aborts", "per 1000 req"));
        by.forEach((strategy, s) -> out.append(String.format(Locale.ROOT, "%-20s %10d %10d %10d %10d %14.1f%n",
                strategy, s[2], s[3], s[0], s[1], s[2] == 0 ? 0 : 1000.0 * (s[0] + s[1]) / s[2])));
        return out.toString();
    }
}
