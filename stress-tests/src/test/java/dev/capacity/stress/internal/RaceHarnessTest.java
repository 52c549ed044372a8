package dev.capacity.stress.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.jdbc.testing.NaiveHolderLimitStrategy;
import dev.capacity.jdbc.testing.NaiveOrderStrategy;
import dev.capacity.jdbc.testing.NeverSellsLastUnitStrategy;
import dev.capacity.jdbc.testing.NeverSellsLastUnitStrategy.Answer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * The race harness on every strategy, on H2, PostgreSQL and MariaDB, through every scenario (the
 * scenarios with holds, orders and limits also on H2 in a file): each history must check out. Sized for CI on 2 cores;
 * the command-line harness runs bigger races. The seed is printed; {@code -Dcapacity.seed=N}
 * replays a run.
 */
final class RaceHarnessTest {

    static final int THREADS = 8;
    static final int CAPACITY = 80;
    /** The scenarios without holds, orders or limits. */
    static final List<Scenario> BASIC = List.of(Scenario.HOT, Scenario.SKEWED, Scenario.MIXED, Scenario.CHURN,
            Scenario.RESIZE);
    static final List<StrategyKind> JDBI_KINDS = List.of(StrategyKind.OPTIMISTIC_VERSION, StrategyKind.PESSIMISTIC_LOCK,
            StrategyKind.CONDITIONAL_UPDATE, StrategyKind.UNIQUE_SLOTS, StrategyKind.COMBINING);

    @TempDir
    static Path files;

    private static EmbeddedPostgresServer postgres;
    private static EmbeddedMariaDbServer mariadb;
    private static CapacityPool h2;
    private static CapacityPool h2File;
    private static CapacityPool pg;
    private static CapacityPool maria;

    @BeforeAll
    static void open() {
        postgres = EmbeddedPostgresServer.start(Durability.FAST);
        h2 = pool(Database.h2Memory("harness-test"));
        h2File = pool(Database.h2File(files.resolve("harness-test")));
        pg = pool(postgres.database());
        mariadb = EmbeddedMariaDbServer.start(Durability.FAST);
        maria = pool(mariadb.database());
    }

    @AfterAll
    static void close() {
        h2.close();
        h2File.close();
        pg.close();
        postgres.close();
        maria.close();
        mariadb.close();
    }

    static CapacityPool pool(Database database) {
        CapacityPool pool = CapacityPool.open(database.jdbcUrl(), database.user(), database.password(), THREADS + 4);
        CapacitySchema.install(pool.jdbi());
        return pool;
    }

    static long seed() {
        String given = System.getProperty("capacity.seed");
        long seed = given == null ? new Random().nextLong() : Long.parseLong(given);
        System.out.println("race harness seed " + seed + " (replay with -Dcapacity.seed=" + seed + ")");
        return seed;
    }

    @Test
    void everyStrategyOnEveryDatabase_throughEveryScenario_checksOut() {
        long seed = seed();
        List<RaceReport> reports = new ArrayList<>();
        for (Scenario scenario : BASIC) {
            reports.addAll(raceEveryStrategy(scenario, seed, List.of(h2, pg, maria)));
        }
        String table = RaceReport.table(reports);
        System.out.println(table);

        assertThat(reports).hasSize(BASIC.size() * 16);
        assertThat(reports).as(table).allMatch(RaceReport::ok);
        // the races raced: every scenario refused requests, so demand exceeded what was there
        assertThat(reports).as(table).allMatch(r -> r.refused() > 0 && r.grantedUnits() > 0);
    }

    @Test
    void checkout_everyStrategyOnEveryDatabase_checksOut() {
        long seed = seed();
        List<RaceReport> reports = raceEveryStrategy(Scenario.CHECKOUT, seed, List.of(h2, h2File, pg, maria));
        String table = RaceReport.table(reports);
        System.out.println(table);

        assertThat(reports).hasSize(21);
        assertThat(reports).as(table).allMatch(RaceReport::ok);
        // the races raced: refusals, holds confirmed, confirms too late, holds that ran out and whose units sold again
        assertThat(reports).as(table).allMatch(r -> r.refused() > 0 && r.grantedUnits() > 0 && r.confirmed() > 0
                && r.confirmsExpired() > 0 && r.verdict().expiredHolds() > 0 && r.verdict().reclaimedUnits() > 0);
    }

    @Test
    void crossingOrders_everyStrategyOnEveryDatabase_checksOut() {
        long seed = seed();
        List<RaceReport> reports = raceEveryStrategy(Scenario.CROSSING_ORDERS, seed, List.of(h2, h2File, pg, maria));
        String table = RaceReport.table(reports);
        System.out.println(table);

        assertThat(reports).hasSize(21);
        assertThat(reports).as(table).allMatch(RaceReport::ok);
        // the races raced: orders granted and refused, single reserves beside them, and (in some race, for a
        // double submit replays only when its first copy was granted) an order sent twice answered REPLAYED
        assertThat(reports).as(table).allMatch(r -> r.ordersGranted() > 0 && r.ordersRefused() > 0 && r.reserves() > 0);
        assertThat(reports.stream().mapToLong(RaceReport::replayed).sum()).as(table).isPositive();
    }

    @Test
    void holderBot_everyStrategyOnEveryDatabase_checksOut() {
        long seed = seed();
        List<RaceReport> reports = raceEveryStrategy(Scenario.HOLDER_BOT, seed, List.of(h2, h2File, pg, maria));
        String table = RaceReport.table(reports);
        System.out.println(table);

        assertThat(reports).hasSize(21);
        assertThat(reports).as(table).allMatch(RaceReport::ok);
        // the races raced: the limit refused, grants and holds beside it; and confirms, in some race (in one race
        // the clock may carry every hold past its expiry before its confirm: 1 race in 16 had none on 2026-11-30)
        assertThat(reports).as(table).allMatch(r -> r.holderLimited() > 0 && r.grantedUnits() > 0 && r.holds() > 0);
        assertThat(reports.stream().mapToLong(RaceReport::confirmed).sum()).as(table).isPositive();
    }

    /**
     * THE NEGATIVE CONTROL of orders: {@link NaiveOrderStrategy} places an order line by line and
     * gives back what it got when a later line is refused, the first order of every thread lined
     * up after its first line. The crossing-orders race must catch it by its history: in memory
     * as a refusal while the resource it names had room for the part (the units of the other
     * orders' given-back lines are in no answer; see {@link #naiveOrdersInMemoryUntilCaught}), on
     * a database as half orders (the given-back rows of refused orders). It breaks more besides: a double submit's lines come back
     * REPLAYED one by one and it answers the order RESERVED (reported as reservations granted
     * twice, and as oversold where those count again), and a refused order gives back a line that
     * was another order's, replayed (a ledger that does not add up).
     */
    @Test
    void naiveOrdersPlacedLineByLine_areCaught_inMemoryAndOnEveryDatabase() {
        long seed = seed();
        List<RaceReport> reports = new ArrayList<>();
        reports.add(naiveOrdersInMemoryUntilCaught(seed));
        for (CapacityPool pool : List.of(h2, pg, maria)) {
            RaceClock clock = new RaceClock();
            NaiveOrderStrategy naive = new NaiveOrderStrategy(JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE,
                    pool.jdbi(), clock.options()), THREADS);
            reports.add(raceControl(naive, name(pool), r -> Snapshot.fromTables(pool.jdbi(), "capacity_", r.prefix()),
                    Scenario.CROSSING_ORDERS, clock, seed));
        }
        String table = RaceReport.table(reports);
        System.out.println(table);

        HistoryChecker.Verdict inMemory = reports.get(0).verdict();
        assertThat(inMemory.undersold()).as(table).isPositive();
        assertThat(inMemory.problems()).as(table).anyMatch(p -> p.matches("undersold: \\d units? of \\S+ \\(the part of"
                + " an order of [23] lines that its refusal named\\) refused while at most \\d+ of at least \\d+ were"
                + " held: .*"));
        for (RaceReport report : reports.subList(1, reports.size())) {
            assertThat(report.verdict().halfOrders()).as(table).isPositive();
            assertThat(report.verdict().problems()).as(table).anyMatch(p -> p.matches("half order: order \\d+ \\([23]"
                    + " lines, process 0, thread \\d\\) answered INSUFFICIENT_CAPACITY, yet left row \\d+ for line 0"
                    + " \\(released\\).*"));
        }
    }

    /** Races allowed for the naive orders in memory, one seed after the other, until one is caught. */
    private static final int NAIVE_ORDER_RACES_IN_MEMORY = 5;

    /**
     * The crossing-orders race of the naive orders in memory, on {@code seed}, then the seeds after
     * it, until its history is caught (at most {@link #NAIVE_ORDER_RACES_IN_MEMORY} races). In
     * memory there are no rows: only a refusal that its given-back lines explain and nothing in
     * the history does shows it, and about one race in a hundred gives none (10 of 1,000 on
     * 2026-11-30; 8 of those were caught otherwise, 2 not at all): the last of the lined-up orders
     * runs ahead while the others wake up, and every refusal is one a granted order's lines
     * explain, a history some interleaving explains, which no checker can fault. Fails with every
     * race's verdict if none is caught.
     */
    private static RaceReport naiveOrdersInMemoryUntilCaught(long seed) {
        List<RaceReport> missed = new ArrayList<>();
        for (int race = 0; race < NAIVE_ORDER_RACES_IN_MEMORY; race++) {
            RaceClock clock = new RaceClock();
            NaiveOrderStrategy memory = new NaiveOrderStrategy(new InMemoryStrategy(clock.options()), THREADS);
            RaceReport report = raceControl(memory, "memory", r -> Snapshot.fromAvailability(memory,
                    r.capacities().keySet()), Scenario.CROSSING_ORDERS, clock, seed + race);
            if (report.verdict().undersold() > 0) {
                if (!missed.isEmpty()) {
                    System.out.println("naive orders in memory: not caught on seeds " + missed.stream()
                            .map(RaceReport::seed).toList() + ", caught on seed " + report.seed());
                }
                return report;
            }
            missed.add(report);
        }
        throw new AssertionError("the naive orders in memory were not caught in " + NAIVE_ORDER_RACES_IN_MEMORY
                + " races:\n" + RaceReport.table(missed));
    }

    /**
     * THE NEGATIVE CONTROL of per-holder limits: {@link NaiveHolderLimitStrategy} checks the
     * holder's count before it reserves, and the bot's opening burst (every thread's first
     * request) is lined up between the check and the reserve. The holder-bot race must catch the
     * bot over the limit, by the rows (or, in memory, by the answers) at the end.
     */
    @Test
    void naiveHolderLimitCheckedBeforeReserving_isCaughtOverTheLimit_inMemoryAndOnEveryDatabase() {
        long seed = seed();
        List<RaceReport> reports = new ArrayList<>();
        RaceClock memoryClock = new RaceClock();
        NaiveHolderLimitStrategy memory = new NaiveHolderLimitStrategy(new InMemoryStrategy(memoryClock.options()),
                THREADS);
        reports.add(raceControl(memory, "memory", r -> Snapshot.fromAvailability(memory, r.capacities().keySet()),
                Scenario.HOLDER_BOT, memoryClock, seed));
        for (CapacityPool pool : List.of(h2, pg, maria)) {
            RaceClock clock = new RaceClock();
            NaiveHolderLimitStrategy naive = new NaiveHolderLimitStrategy(JdbiStrategies.of(
                    StrategyKind.CONDITIONAL_UPDATE, pool.jdbi(), clock.options()), THREADS);
            reports.add(raceControl(naive, name(pool), r -> Snapshot.fromTables(pool.jdbi(), "capacity_", r.prefix()),
                    Scenario.HOLDER_BOT, clock, seed));
        }
        String table = RaceReport.table(reports);
        System.out.println(table);

        for (RaceReport report : reports) {
            assertThat(report.verdict().overHolderLimit()).as(table).isPositive();
            assertThat(report.verdict().problems()).as(table).anyMatch(p -> p.matches("over the holder limit: bot has "
                    + THREADS + " units of \\S+-wave live at the end, limited to [234]"));
            assertThat(report.verdict().oversold() + report.verdict().ledger()).as(table).isZero();
        }
    }

    private static RaceReport raceControl(ReservationStrategy control, String database,
                                          Function<RaceHarness.Resources, Snapshot> snapshot, Scenario scenario,
                                          RaceClock clock, long seed) {
        return RaceHarness.run(control.name() + " (control)", database, control, snapshot,
                new RaceHarness.Config(scenario, THREADS, CAPACITY, seed, 100, clock));
    }

    /** {@code scenario} on the in-memory strategy and on every strategy over each of {@code pools}, each with its clock. */
    private static List<RaceReport> raceEveryStrategy(Scenario scenario, long seed, List<CapacityPool> pools) {
        List<RaceReport> reports = new ArrayList<>();
        RaceClock memoryClock = new RaceClock();
        InMemoryStrategy memory = new InMemoryStrategy(memoryClock.options());
        reports.add(RaceHarness.run("in-memory", "memory", memory,
                r -> Snapshot.fromAvailability(memory, r.capacities().keySet()),
                new RaceHarness.Config(scenario, THREADS, CAPACITY, seed, 100, memoryClock)));
        for (CapacityPool pool : pools) {
            for (StrategyKind kind : JDBI_KINDS) {
                RaceClock clock = new RaceClock();
                try (JdbiReservationStrategy strategy = JdbiStrategies.of(kind, pool.jdbi(), clock.options())) {
                    reports.add(RaceHarness.run(kind.strategyName(), name(pool), strategy,
                            r -> Snapshot.fromTables(pool.jdbi(), "capacity_", r.prefix()),
                            new RaceHarness.Config(scenario, THREADS, CAPACITY, seed, 100, clock)));
                }
            }
        }
        return reports;
    }

    private static String name(CapacityPool pool) {
        return pool == h2 ? "h2" : pool == h2File ? "h2-file" : pool == pg ? "postgres" : "mariadb";
    }

    @Test
    void brokenHolds_areCaught_inMemoryAndOnPostgres() throws Exception {
        long seed = seed();
        List<RaceReport> reports = new ArrayList<>();
        for (BrokenHoldStrategy.Bug bug : BrokenHoldStrategy.Bug.values()) {
            RaceClock memoryClock = new RaceClock();
            try (BrokenHoldStrategy broken = new BrokenHoldStrategy(bug, memoryClock, InMemoryStrategy::new)) {
                reports.add(raceBroken(bug, broken, "memory", r -> Snapshot.fromAvailability(broken,
                        r.capacities().keySet()), memoryClock, seed));
            }
            RaceClock clock = new RaceClock();
            try (BrokenHoldStrategy broken = new BrokenHoldStrategy(bug, clock,
                    options -> JdbiStrategies.of(StrategyKind.PESSIMISTIC_LOCK, pg.jdbi(), options))) {
                reports.add(raceBroken(bug, broken, "postgres", r -> Snapshot.fromTables(pg.jdbi(), "capacity_", r.prefix()),
                        clock, seed));
            }
        }
        System.out.println(RaceReport.table(reports));
    }

    /**
     * The checkout race against a {@link BrokenHoldStrategy}: its bug must be caught, a confirm
     * after the expiry as a late confirm, a missing reclaim as a refusal that only expired holds
     * explain; and nothing must be reported oversold, for nothing was.
     */
    private static RaceReport raceBroken(BrokenHoldStrategy.Bug bug, BrokenHoldStrategy broken, String database,
                                         Function<RaceHarness.Resources, Snapshot> snapshot, RaceClock clock, long seed) {
        RaceReport report = RaceHarness.run(broken.name(), database, broken, snapshot,
                new RaceHarness.Config(Scenario.CHECKOUT, THREADS, CAPACITY, seed, 100, clock));
        HistoryChecker.Verdict verdict = report.verdict();
        if (bug == BrokenHoldStrategy.Bug.CONFIRM_IGNORES_EXPIRY) {
            assertThat(verdict.lateConfirms()).as(report.toString()).isPositive();
            assertThat(verdict.problems()).as(report.toString()).anyMatch(p -> p.startsWith("late confirm: "));
        } else {
            assertThat(verdict.undersold()).as(report.toString()).isPositive();
            assertThat(verdict.problems()).as(report.toString()).anyMatch(p -> p.matches(
                    "undersold: \\d units? of \\S+ refused while at most \\d+ of at least \\d+ were held, not counting holds"
                            + " that had expired by its clock .*"));
        }
        assertThat(verdict.oversold()).as(report.toString()).isZero();
        return report;
    }

    @Test
    void naiveCheckThenAct_isCaughtOverselling_onEveryDatabase() {
        long seed = seed();
        List<RaceReport> reports = new ArrayList<>();
        for (CapacityPool pool : List.of(h2, pg, maria)) {
            for (Scenario scenario : List.of(Scenario.HOT, Scenario.MIXED, Scenario.CHURN)) {
                NaiveCheckThenActStrategy naive = new NaiveCheckThenActStrategy(pool.jdbi(), THREADS);
                reports.add(RaceHarness.run(naive.name(), name(pool), naive,
                        r -> Snapshot.fromTables(pool.jdbi(), "capacity_", r.prefix()),
                        new RaceHarness.Config(scenario, THREADS, CAPACITY, seed, 100)));
            }
        }
        String table = RaceReport.table(reports);
        System.out.println(table);

        // every naive race loses updates of the counter, so the ledger breaks and, where the
        // capacity runs out, more is sold than there is
        assertThat(reports).as(table).allMatch(r -> !r.ok() && r.verdict().ledger() > 0);
        assertThat(reports).as(table).filteredOn(r -> !r.workload().equals("churn"))
                .allMatch(r -> r.verdict().oversold() > 0);
    }

    @Test
    void runThreads_clientStuckInACall_isReportedAtTheDeadlineBesideTheHistorySoFar() {
        InMemoryStrategy memory = new InMemoryStrategy();
        memory.define("stuck-a", 2);
        // the second caller waits a minute for a unit this strategy never sells
        ReservationStrategy hanging = new NeverSellsLastUnitStrategy(memory, Answer.CONTENDED, Duration.ofMinutes(1));
        List<List<Scenario.Step>> scripts = List.of(List.of(new Scenario.Reserve("stuck-a", "h0", 1, "")),
                List.of(new Scenario.Reserve("stuck-a", "h1", 1, "")));
        History history = new History();

        List<String> stuck = RaceHarness.runThreads(0, scripts, hanging, new RaceClock(), history, 100, 0, false,
                () -> false, Duration.ofSeconds(1));

        // the call's age is counted from its start, a moment after the deadline's: 0.9 s on a slow start

        assertThat(stuck).singleElement().asString()
                .matches("(?s)stuck: thread [01] of process 0 still running at the race's deadline \\(1 s\\), in a"
                        + " reserve of 1 unit\\(s\\) of stuck-a for h[01] for [01]\\.\\d s\\n.*")
                .contains("dev.capacity.jdbc.testing.NeverSellsLastUnitStrategy.reserve(");
        // the other caller's grant is in the history (and what the stuck one did once interrupted)
        assertThat(history.ops()).filteredOn(o -> o.result().equals("RESERVED")).singleElement()
                .extracting(Op::holderId).isNotEqualTo(stuck.get(0).split(" for ")[1]);
    }

    @Test
    void neverSellingTheLastUnit_isCaughtUnderselling_onEveryStoreAndEitherAnswer() {
        long seed = seed();
        InMemoryStrategy memory = new InMemoryStrategy();
        List<RaceReport> reports = new ArrayList<>();
        reports.add(raceNeverSellingTheLastUnit(memory, Answer.CONTENDED, "memory",
                r -> Snapshot.fromAvailability(memory, r.capacities().keySet()), seed));
        for (CapacityPool pool : List.of(h2, pg, maria)) {
            Answer answer = pool == pg ? Answer.CONTENDED : Answer.INSUFFICIENT_CAPACITY;
            reports.add(raceNeverSellingTheLastUnit(JdbiStrategies.conditionalUpdate(pool.jdbi()), answer, name(pool),
                    r -> Snapshot.fromTables(pool.jdbi(), "capacity_", r.prefix()), seed));
        }
        System.out.println(RaceReport.table(reports));
    }

    /**
     * The hot race against {@link NeverSellsLastUnitStrategy} over {@code honest}: its one unit
     * left must be reported undersold, refused or given up on, and the race must end well before
     * a minute (a guard against a hang, not a measure of speed: a client gives up after
     * {@link RaceHarness#PATIENCE}, and that ends the race).
     */
    private static RaceReport raceNeverSellingTheLastUnit(ReservationStrategy honest, Answer answer, String database,
                                                          Function<RaceHarness.Resources, Snapshot> snapshot, long seed) {
        NeverSellsLastUnitStrategy broken = new NeverSellsLastUnitStrategy(honest, answer);
        long started = System.nanoTime();
        RaceReport report = RaceHarness.run(broken.name() + "/" + answer.name().toLowerCase(Locale.ROOT), database,
                broken, snapshot, new RaceHarness.Config(Scenario.HOT, THREADS, CAPACITY, seed, 100));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        HistoryChecker.Verdict verdict = report.verdict();
        assertThat(verdict.undersold()).as(report.toString()).isPositive();
        assertThat(verdict.oversold() + verdict.ledger() + verdict.lost()).as(report.toString()).isZero();
        assertThat(verdict.problems()).as(report.toString()).anyMatch(answer == Answer.CONTENDED
                ? p -> p.matches("undersold: 1 unit of race-\\S+-hot never sold: h\\d+ \\(process 0, thread \\d\\) gave up after .*")
                : p -> p.matches("undersold: 1 unit of race-\\S+-hot refused while at most 79 of at least 80 were held: .*"));
        assertThat(took).as(report.toString()).isLessThan(Duration.ofSeconds(60));
        return report;
    }
}
