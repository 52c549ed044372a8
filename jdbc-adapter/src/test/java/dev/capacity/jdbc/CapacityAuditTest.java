package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.jdbc.CapacityAudit.Discrepancy.Kind.COUNTER_MISMATCH;
import static dev.capacity.jdbc.CapacityAudit.Discrepancy.Kind.ORPHAN_SLOTS;
import static dev.capacity.jdbc.CapacityAudit.Discrepancy.Kind.OVER_CAPACITY;
import static dev.capacity.jdbc.CapacityAudit.Discrepancy.Kind.SLOT_COUNT_MISMATCH;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityAudit.Discrepancy;
import dev.capacity.jdbc.CapacityAudit.Report;
import dev.capacity.jdbc.testing.Ledger;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.Race;
import dev.capacity.jdbc.testing.Seeds;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TableSnapshot;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.testing.MutableClock;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The audit finds exactly the corruption made by hand with SQL, the repair removes it, and the
 * strategies go on selling to the last unit afterwards: for every strategy on every database.
 * The race test corrupts a resource, then repairs it again and again while threads reserve and
 * release at full speed: once the corruption is gone, no later repair may find anything to change.
 */
@ExtendWith(LedgersAddUp.class)
final class CapacityAuditTest {

    static Stream<Arguments> databasesAndKinds() {
        List<Arguments> arguments = new ArrayList<>();
        for (TestDatabase database : TestDatabase.values()) {
            for (StrategyKind kind : StrategyFixture.JDBI_KINDS) {
                arguments.add(Arguments.of(database, kind));
            }
        }
        return arguments.stream();
    }

    static Stream<Arguments> databasesAndFamilies() {
        List<Arguments> arguments = new ArrayList<>();
        for (TestDatabase database : TestDatabase.values()) {
            arguments.add(Arguments.of(database, Sql.COUNTER));
            arguments.add(Arguments.of(database, Sql.SLOTS));
        }
        return arguments.stream();
    }

    // ---- clean and corrupted ledgers

    @ParameterizedTest(name = "{1} @ {0}")
    @MethodSource("databasesAndKinds")
    void audit_ledgersWrittenOnlyByStrategies_areCleanAndRepairChangesNothing(TestDatabase database, StrategyKind kind) {
        Tables tables = Tables.fresh(database);
        try (JdbiReservationStrategy strategy = tables.strategy(kind)) {
            for (int r = 0; r < 3; r++) {
                String id = "run-" + r;
                strategy.define(id, 5 + r);
                Reservation first = reserve(strategy, id, 2);
                reserve(strategy, id, 1);
                assertThat(strategy.release(first.id())).isTrue();
            }
            strategy.define("empty", 0);
            Map<String, List<String>> before = TableSnapshot.of(tables.jdbi, tables.prefix);

            Report audit = tables.audit.audit();
            Report repair = tables.audit.repair();

            assertThat(audit.isClean()).as("%s", audit).isTrue();
            assertThat(audit.resourcesChecked()).isEqualTo(4);
            assertThat(audit.notices()).isEmpty();
            assertThat(tables.audit.audit("run-1").isClean()).isTrue();
            assertThat(repair.isClean()).isTrue();
            assertThat(repair.changes()).isEmpty();
            assertThat(tables.audit.repair("run-2").changes()).isEmpty();
            assertThat(TableSnapshot.of(tables.jdbi, tables.prefix)).isEqualTo(before);
        }
    }

    @ParameterizedTest(name = "{1} @ {0}")
    @MethodSource("databasesAndKinds")
    void audit_corruptedByHand_reportsExactlyTheCorruptionAndRepairFixesIt(TestDatabase database, StrategyKind kind) {
        Tables tables = Tables.fresh(database);
        try (JdbiReservationStrategy strategy = tables.strategy(kind)) {
            String family = kind == StrategyKind.UNIQUE_SLOTS ? Sql.SLOTS : Sql.COUNTER;
            Map<String, Long> capacities = new LinkedHashMap<>();
            Set<Discrepancy> expected = new HashSet<>();

            String untouched = newId("untouched");
            capacities.put(untouched, 6L);
            strategy.define(untouched, 6);
            reserve(strategy, untouched, 2);

            if (family.equals(Sql.COUNTER)) {
                String tooHigh = newId("too-high");
                capacities.put(tooHigh, 10L);
                strategy.define(tooHigh, 10);
                reserve(strategy, tooHigh, 1);
                reserve(strategy, tooHigh, 2);
                tables.execute("UPDATE " + tables.prefix + "resource SET reserved = reserved + 4 WHERE id = ?", tooHigh);
                expected.add(new Discrepancy(tooHigh, family, COUNTER_MISMATCH, 7, 3));

                String tooLow = newId("too-low");
                capacities.put(tooLow, 10L);
                strategy.define(tooLow, 10);
                reserve(strategy, tooLow, 3);
                tables.execute("UPDATE " + tables.prefix + "resource SET reserved = 1 WHERE id = ?", tooLow);
                expected.add(new Discrepancy(tooLow, family, COUNTER_MISMATCH, 1, 3));

                String releasedNotCounted = newId("released-not-counted");
                capacities.put(releasedNotCounted, 4L);
                strategy.define(releasedNotCounted, 4);
                Reservation marked = reserve(strategy, releasedNotCounted, 2);
                reserve(strategy, releasedNotCounted, 1);
                tables.markReleased(marked.id());
                expected.add(new Discrepancy(releasedNotCounted, family, COUNTER_MISMATCH, 3, 1));
            } else {
                String slotsDeleted = newId("slots-deleted");
                capacities.put(slotsDeleted, 10L);
                strategy.define(slotsDeleted, 10);
                Reservation three = reserve(strategy, slotsDeleted, 3);
                reserve(strategy, slotsDeleted, 1);
                // two of its three slots, named one by one: MariaDB takes no LIMIT in an IN subquery
                List<Long> slots = tables.jdbi().withHandle(h -> h.createQuery("SELECT slot FROM " + tables.prefix
                        + "slot WHERE reservation_id = :id ORDER BY slot").bind("id", three.id()).mapTo(Long.class).list());
                for (long slot : slots.subList(0, 2)) {
                    tables.execute("DELETE FROM " + tables.prefix + "slot WHERE reservation_id = ? AND slot = ?", three.id(), slot);
                }
                expected.add(new Discrepancy(slotsDeleted, family, SLOT_COUNT_MISMATCH, 2, 4));

                String orphans = newId("orphans");
                capacities.put(orphans, 10L);
                strategy.define(orphans, 10);
                reserve(strategy, orphans, 2);
                Reservation gone = reserve(strategy, orphans, 1);
                assertThat(strategy.release(gone.id())).isTrue();
                tables.insertSlot(orphans, gone.id());
                tables.insertSlot(orphans, Long.MAX_VALUE - 1);
                expected.add(new Discrepancy(orphans, family, ORPHAN_SLOTS, 2, 0));

                String releasedSlotsKept = newId("released-slots-kept");
                capacities.put(releasedSlotsKept, 5L);
                strategy.define(releasedSlotsKept, 5);
                Reservation marked = reserve(strategy, releasedSlotsKept, 2);
                reserve(strategy, releasedSlotsKept, 1);
                tables.markReleased(marked.id());
                expected.add(new Discrepancy(releasedSlotsKept, family, ORPHAN_SLOTS, 2, 0));

                String excess = newId("excess");
                capacities.put(excess, 5L);
                strategy.define(excess, 5);
                Reservation one = reserve(strategy, excess, 1);
                tables.insertSlot(excess, one.id());
                expected.add(new Discrepancy(excess, family, SLOT_COUNT_MISMATCH, 2, 1));
            }

            Report audit = tables.audit.audit();
            assertThat(audit.discrepancies()).as("%s", audit).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(audit.resourcesChecked()).isEqualTo(capacities.size());
            assertThat(audit.isClean()).isFalse();
            assertThat(audit.changes()).isEmpty();
            for (Discrepancy d : expected) {
                assertThat(tables.audit.audit(d.resourceId()).discrepancies()).containsExactly(d);
            }
            assertThat(tables.audit.audit(untouched).isClean()).isTrue();

            Report repair = tables.audit.repair();
            assertThat(repair.discrepancies()).as("%s", repair).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(repair.changes()).extracting(CapacityAudit.Change::resourceId)
                    .containsAll(expected.stream().map(Discrepancy::resourceId).toList())
                    .doesNotContain(untouched);

            Report after = tables.audit.audit();
            assertThat(after.isClean()).as("%s", after).isTrue();
            assertThat(after.notices()).isEmpty();
            assertThat(tables.audit.repair().changes()).isEmpty();
            for (Map.Entry<String, Long> resource : capacities.entrySet()) {
                assertLastUnitSellsOnce(strategy, resource.getKey(), resource.getValue());
            }
            assertThat(tables.audit.audit().isClean()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void repair_counterTooLowAndOversold_countsEverySaleAndNotesOverCapacity(TestDatabase database) {
        Tables tables = Tables.fresh(database);
        try (JdbiReservationStrategy strategy = tables.strategy(StrategyKind.CONDITIONAL_UPDATE)) {
            strategy.define("run", 3);
            List<Reservation> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(reserve(strategy, "run", 1));
            }
            tables.execute("UPDATE " + tables.prefix + "resource SET reserved = 1 WHERE id = ?", "run");
            // the counter lies: two more units are sold beyond the capacity before the repair
            held.add(reserve(strategy, "run", 2));

            Report audit = tables.audit.audit("run");
            assertThat(audit.discrepancies()).containsExactly(new Discrepancy("run", Sql.COUNTER, COUNTER_MISMATCH, 3, 5));
            assertThat(audit.notices()).containsExactly(new Discrepancy("run", Sql.COUNTER, OVER_CAPACITY, 5, 3));

            Report repair = tables.audit.repair("run");
            assertThat(repair.discrepancies()).containsExactly(new Discrepancy("run", Sql.COUNTER, COUNTER_MISMATCH, 3, 5));
            assertThat(repair.notices()).extracting(Discrepancy::kind).containsExactly(OVER_CAPACITY);
            assertThat(strategy.availability("run")).contains(new Availability("run", 3, 5));
            assertThat(strategy.reserve(ReservationRequest.of("run", "late")).status()).isEqualTo(INSUFFICIENT_CAPACITY);

            assertThat(strategy.release(held.get(3).id())).isTrue();
            assertThat(strategy.reserve(ReservationRequest.of("run", "late")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
            assertThat(strategy.release(held.get(0).id())).isTrue();
            assertLastUnitSellsOnce(strategy, "run", 3);
            assertThat(tables.audit.audit().isClean()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void repair_slotLostAndResold_givesItBackAboveTheCapacityAndNotesIt(TestDatabase database) {
        Tables tables = Tables.fresh(database);
        try (JdbiReservationStrategy strategy = tables.strategy(StrategyKind.UNIQUE_SLOTS)) {
            strategy.define("run", 3);
            Reservation a = reserve(strategy, "run", 1);
            Reservation b = reserve(strategy, "run", 1);
            reserve(strategy, "run", 1);
            tables.execute("DELETE FROM " + tables.prefix + "slot WHERE reservation_id = ?", a.id());
            // the lost slot is sold again
            reserve(strategy, "run", 1);

            Report repair = tables.audit.repair("run");

            assertThat(repair.discrepancies()).containsExactly(new Discrepancy("run", Sql.SLOTS, SLOT_COUNT_MISMATCH, 3, 4));
            assertThat(repair.notices()).containsExactly(new Discrepancy("run", Sql.SLOTS, OVER_CAPACITY, 4, 3));
            assertThat(repair.changes()).singleElement().asString().contains("above the capacity 3");
            assertThat(tables.slotsOf(a.id())).containsExactly(3L);
            assertThat(tables.audit.audit().isClean()).isTrue();
            assertThat(strategy.availability("run")).contains(new Availability("run", 3, 4));

            // a release below the capacity moves the overflow slot into the place it frees
            List<Long> freed = tables.slotsOf(b.id());
            assertThat(strategy.release(b.id())).isTrue();
            assertThat(tables.slotsOf(a.id())).isEqualTo(freed);
            assertThat(strategy.reserve(ReservationRequest.of("run", "late")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
            assertThat(strategy.release(a.id())).isTrue();
            assertLastUnitSellsOnce(strategy, "run", 3);
            assertThat(tables.audit.audit().isClean()).isTrue();
        }
    }

    // ---- the race

    private static final int WORKERS = 6;
    private static final int REPAIRS = 40;
    private static final int MIN_OPERATIONS_PER_WORKER = 100;
    private static final long RACE_CAPACITY = 12;

    /**
     * Workers reserve and release at full speed with every strategy of the family, while one
     * thread corrupts the resource (a counter raised by 1 to 3, or an orphan slot row: both only
     * ever make it sell less) and repairs it, again and again. Every repair must remove exactly
     * the corruption made so far and nothing else, so the offsets the repairs report add up to
     * the corruption made; a repair that lost or double-counted a concurrent reservation or
     * release would show up as an offset no one made, or as an audit that is not clean.
     */
    @ParameterizedTest(name = "{1} @ {0}")
    @MethodSource("databasesAndFamilies")
    void repair_whileReservesAndReleasesRunAtFullSpeed_removesExactlyTheCorruption(TestDatabase database, String family)
            throws Exception {
        long seed = Seeds.next("audit race " + family + " @ " + database);
        Tables tables = Tables.fresh(database);
        boolean counter = family.equals(Sql.COUNTER);
        List<StrategyKind> kinds = counter ? StrategyFixture.COUNTER_KINDS : List.of(StrategyKind.UNIQUE_SLOTS);
        List<JdbiReservationStrategy> strategies = kinds.stream().map(tables::strategy).toList();
        String run = newId("race");
        strategies.get(0).define(run, RACE_CAPACITY);
        reserve(strategies.get(0), run, 2);
        SplittableRandom corrupter = new SplittableRandom(seed - 1);
        AtomicLong corrupted = new AtomicLong();

        CyclicBarrier start = new CyclicBarrier(WORKERS + 1);
        CountDownLatch workersDone = new CountDownLatch(WORKERS);
        AtomicInteger repairsDone = new AtomicInteger();
        AtomicLong reserved = new AtomicLong();
        AtomicLong released = new AtomicLong();
        List<Report> repairs = new CopyOnWriteArrayList<>();
        List<String> oversold = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                JdbiReservationStrategy strategy = strategies.get(w % strategies.size());
                SplittableRandom random = new SplittableRandom(seed + w);
                String holder = "worker-" + w;
                futures.add(pool.submit(() -> {
                    try {
                        start.await();
                        List<Long> held = new ArrayList<>();
                        for (int op = 0; op < MIN_OPERATIONS_PER_WORKER || repairsDone.get() < REPAIRS; op++) {
                            if (held.size() < 3 && (held.isEmpty() || random.nextBoolean())) {
                                ReservationResult result = strategy.reserve(
                                        ReservationRequest.of(run, holder).withQuantity(1 + random.nextInt(2)));
                                if (result.status() == RESERVED) {
                                    held.add(result.reservation().id());
                                    reserved.incrementAndGet();
                                }
                            } else {
                                long id = held.remove(random.nextInt(held.size()));
                                assertThat(strategy.release(id)).as("release of %d", id).isTrue();
                                released.incrementAndGet();
                            }
                        }
                        return null;
                    } finally {
                        workersDone.countDown();
                    }
                }));
            }
            futures.add(pool.submit(() -> {
                start.await();
                while (workersDone.getCount() > 0) {
                    corrupted.addAndGet(tables.corrupt(run, counter, corrupter, RACE_CAPACITY));
                    repairs.add(tables.audit.repair(run));
                    repairsDone.incrementAndGet();
                    Ledger ledger = tables.ledger(run);
                    if (ledger.oversold() > 0) {
                        oversold.add(ledger.toString());
                    }
                }
                return null;
            }));
            for (Future<?> future : futures) {
                future.get(180, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            strategies.forEach(JdbiReservationStrategy::close);
        }
        // the last corruption may have been made after the last repair ran: one more, alone
        repairs.add(tables.audit.repair(run));

        String where = String.format("%s @ %s, seed %d, %d repairs, %d reserved, %d released, %d units corrupted",
                family, database, seed, repairs.size(), reserved.get(), released.get(), corrupted.get());
        System.out.println("audit race: " + where);
        assertThat(repairs).as(where).hasSizeGreaterThan(REPAIRS);
        assertThat(reserved.get()).as(where).isPositive();
        assertThat(released.get()).as(where).isPositive();
        List<Discrepancy> found = repairs.stream().flatMap(r -> r.discrepancies().stream()).toList();
        assertThat(found.stream().filter(d -> d.kind() != (counter ? COUNTER_MISMATCH : ORPHAN_SLOTS)))
                .as("discrepancies of a kind never made, in %s", where).isEmpty();
        assertThat(found.stream().filter(d -> d.recorded() <= d.expected()))
                .as("discrepancies that sell more than the ledger, never made, in %s", where).isEmpty();
        long removed = found.stream().mapToLong(d -> d.recorded() - d.expected()).sum();
        assertThat(removed).as("units the repairs removed, against the units corrupted, in %s", where)
                .isEqualTo(corrupted.get());
        assertThat(oversold).as(where).isEmpty();
        Report audit = tables.audit.audit(run);
        assertThat(audit.isClean()).as("%s in %s", audit, where).isTrue();
        Ledger ledger = tables.ledger(run);
        assertThat(ledger.oversold()).as("%s in %s", ledger, where).isZero();
    }

    // ---- bad input

    @Test
    void of_nullArguments_areRefusedNamingTheArgument() {
        Jdbi jdbi = TestDatabase.H2_MEM.jdbi();
        assertThatThrownBy(() -> CapacityAudit.of(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("jdbi");
        assertThatThrownBy(() -> CapacityAudit.of(jdbi, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("options");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void auditAndRepair_badOrUnknownIds_areRefusedNamingThemAndWriteNothing(TestDatabase database) {
        Tables tables = Tables.fresh(database);
        try (JdbiReservationStrategy strategy = tables.strategy(StrategyKind.CONDITIONAL_UPDATE)) {
            strategy.define("run", 2);
            reserve(strategy, "run", 1);
        }
        Map<String, List<String>> before = TableSnapshot.of(tables.jdbi, tables.prefix);
        CapacityAudit audit = tables.audit;

        assertThatThrownBy(() -> audit.audit(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("resourceId");
        assertThatThrownBy(() -> audit.repair(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("resourceId");
        for (String bad : List.of("", " \t ", "r".repeat(201), "run\u0000")) {
            assertThatThrownBy(() -> audit.audit(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("resourceId");
            assertThatThrownBy(() -> audit.repair(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("resourceId");
        }
        assertThatThrownBy(() -> audit.audit("no-such-run")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'no-such-run'").hasMessageContaining("not defined");
        assertThatThrownBy(() -> audit.repair("no-such-run")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'no-such-run'").hasMessageContaining("not defined");
        assertThat(TableSnapshot.of(tables.jdbi, tables.prefix)).isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void audit_withoutTheTables_saysHowToInstallThem(TestDatabase database) {
        CapacityAudit audit = CapacityAudit.of(database.pool().jdbi(),
                StrategyOptions.builder().tablePrefix("nowhere_").build());
        assertThatThrownBy(audit::audit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nowhere_resource").hasMessageContaining("CapacitySchema.install");
        assertThatThrownBy(audit::repair).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CapacitySchema.install");
    }

    @Test
    void report_toString_namesEveryFinding() {
        Report report = new Report(2,
                List.of(new Discrepancy("run-1", Sql.COUNTER, COUNTER_MISMATCH, 7, 5)),
                List.of(new Discrepancy("run-2", Sql.SLOTS, OVER_CAPACITY, 4, 3)),
                List.of(new CapacityAudit.Change("run-1", "set the reserved counter from 7 to 5")));
        assertThat(report.toString())
                .contains("2 resources checked, 1 discrepancies")
                .contains("COUNTER_MISMATCH on 'run-1' (counter): reserved counter is 7, unreleased reservations add up to 5")
                .contains("notice: OVER_CAPACITY on 'run-2'")
                .contains("changed 'run-1': set the reserved counter from 7 to 5");
        assertThatThrownBy(() -> report.discrepancies().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    // ---- helpers

    private static Reservation reserve(JdbiReservationStrategy strategy, String id, int quantity) {
        return reserve(strategy, id, ReservationRequest.of(id, "holder-" + UUID.randomUUID()).withQuantity(quantity));
    }

    private static Reservation reserve(JdbiReservationStrategy strategy, String id, ReservationRequest request) {
        ReservationResult result = Race.reserveUntilDecided(strategy, request);
        assertThat(result.status()).as("reserving %s", request).isEqualTo(RESERVED);
        return result.reservation();
    }

    /** Fills the resource up to one unit, then 8 threads race for it: exactly one gets it. */
    private static void assertLastUnitSellsOnce(JdbiReservationStrategy strategy, String id, long capacity) {
        long available = strategy.availability(id).orElseThrow().available();
        assertThat(available).as("available on %s", id).isPositive();
        if (available > 1) {
            reserve(strategy, id, (int) (available - 1));
        }
        try (Race race = new Race(8)) {
            List<ReservationResult> results = race.run(
                    i -> Race.reserveUntilDecided(strategy, ReservationRequest.of(id, "last-" + i)));
            assertThat(results.stream().filter(r -> r.status() == RESERVED).count()).as("last unit of %s", id).isEqualTo(1);
            assertThat(results).allMatch(r -> r.status() == RESERVED || r.status() == INSUFFICIENT_CAPACITY);
        }
        assertThat(strategy.availability(id).orElseThrow().available()).isZero();
        assertThat(strategy.availability(id).orElseThrow().reserved()).isEqualTo(capacity);
    }

    /** Tables of their own, so that an audit of every resource sees only this test's resources. */
    // ---- holds

    @ParameterizedTest(name = "{1} @ {0}")
    @MethodSource("databasesAndKinds")
    void audit_expiredHoldsNobodyEnded_areNoFaultAndRepairEndsThem(TestDatabase database, StrategyKind kind) {
        MutableClock clock = MutableClock.start();
        Tables tables = Tables.fresh(database, clock);
        try (JdbiReservationStrategy strategy = tables.strategy(kind)) {
            String run = newId("run");
            strategy.define(run, 4);
            long expired = reserve(strategy, run, ReservationRequest.of(run, "gone").withQuantity(2)
                    .withHold(Duration.ofMinutes(1))).id();
            reserve(strategy, run, ReservationRequest.of(run, "sold"));
            clock.advance(Duration.ofMinutes(1));
            long live = reserve(strategy, run, ReservationRequest.of(run, "cart").withHold(Duration.ofMinutes(1))).id();
            // shrunk to what is really taken: the expired hold is free, so nothing is over the capacity
            strategy.resize(run, 2);

            Report audit = tables.audit.audit(run);
            Report repair = tables.audit.repair(run);

            assertThat(audit.isClean()).as("%s", audit).isTrue();
            assertThat(audit.notices()).as("%s", audit).isEmpty();
            assertThat(repair.isClean()).isTrue();
            assertThat(repair.changes()).singleElement().asString().contains("ended the holds that had expired", "2 unit(s)");
            assertThat(tables.audit.repair(run).changes()).isEmpty();
            assertThat(strategy.confirm(expired)).isEqualTo(HoldStatus.EXPIRED);
            assertThat(strategy.confirm(live)).isEqualTo(HoldStatus.CONFIRMED);
            assertThat(strategy.availability(run)).contains(new Availability(run, 2, 2, 0));
        }
    }

    // ---- per-holder limits

    @ParameterizedTest(name = "{1} @ {0}")
    @MethodSource("databasesAndKinds")
    void audit_holdersMiscountedByHand_reportsThemAndRepairCountsAgain(TestDatabase database, StrategyKind kind) {
        Tables tables = Tables.fresh(database);
        try (JdbiReservationStrategy strategy = tables.strategy(kind)) {
            String run = newId("run");
            strategy.define(run, 10);
            strategy.limitPerHolder(run, 3);
            reserve(strategy, run, ReservationRequest.of(run, "ada").withQuantity(2));
            reserve(strategy, run, ReservationRequest.of(run, "bob"));
            reserve(strategy, run, ReservationRequest.of(run, "cy").withQuantity(3));
            assertThat(tables.audit.audit(run).isClean()).isTrue();
            // ada recorded as having nothing, bob not recorded at all: cy is right
            tables.execute("UPDATE " + tables.prefix + "holder SET units = 0 WHERE resource_id = ? AND holder_id = ?", run, "ada");
            tables.execute("DELETE FROM " + tables.prefix + "holder WHERE resource_id = ? AND holder_id = ?", run, "bob");

            Report audit = tables.audit.audit(run);
            Report repair = tables.audit.repair(run);

            assertThat(audit.discrepancies()).containsExactly(
                    new Discrepancy(run, kind == StrategyKind.UNIQUE_SLOTS ? "slots" : "counter", Discrepancy.Kind.HOLDER_MISMATCH, 2, 0));
            assertThat(audit.toString()).contains("2 holder(s) recorded with other than the units");
            assertThat(repair.changes()).singleElement().asString().contains("counted every holder's units again", "2 holder(s)");
            assertThat(tables.audit.audit(run).isClean()).isTrue();
            assertThat(tables.audit.repair(run).changes()).isEmpty();
            assertThat(strategy.reserve(ReservationRequest.of(run, "ada").withQuantity(2)).status())
                    .isEqualTo(ReservationResult.Status.HOLDER_LIMIT_REACHED);
            assertThat(strategy.reserve(ReservationRequest.of(run, "bob").withQuantity(2)).status()).isEqualTo(RESERVED);
            assertThat(tables.ledger(run).addsUp()).isTrue();
        }
    }

    private record Tables(Jdbi jdbi, String prefix, StrategyOptions options, CapacityAudit audit) {
        static Tables fresh(TestDatabase database) {
            return fresh(database, Clock.systemUTC());
        }

        static Tables fresh(TestDatabase database, Clock clock) {
            String prefix = "audit_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";
            StrategyOptions options = StrategyOptions.builder().tablePrefix(prefix).clock(clock).build();
            Jdbi jdbi = database.jdbi(prefix);
            return new Tables(jdbi, prefix, options, CapacityAudit.of(jdbi, options));
        }

        JdbiReservationStrategy strategy(StrategyKind kind) {
            return JdbiStrategies.of(kind, jdbi, options);
        }

        Ledger ledger(String id) {
            return Ledger.read(jdbi, prefix, id);
        }

        void execute(String sql, Object... arguments) {
            jdbi.useHandle(h -> h.execute(sql, arguments));
        }

        void markReleased(long reservationId) {
            execute("UPDATE " + prefix + "reservation SET released_at = ? WHERE id = ?",
                    OffsetDateTime.ofInstant(Instant.now(), ZoneOffset.UTC), reservationId);
        }

        /** Inserts a slot row for {@code reservationId} at the lowest free slot of the resource. */
        void insertSlot(String id, long reservationId) {
            List<Long> taken = jdbi.withHandle(h -> h.createQuery(
                    "SELECT slot FROM " + prefix + "slot WHERE resource_id = ? ORDER BY slot")
                    .bind(0, id).mapTo(Long.class).list());
            long slot = 0;
            while (taken.contains(slot)) {
                slot++;
            }
            execute("INSERT INTO " + prefix + "slot (resource_id, slot, reservation_id) VALUES (?, ?, ?)", id, slot,
                    reservationId);
        }

        /**
         * Corrupts the resource the way that only ever sells less: raises the counter by 1 to 3, or
         * inserts an orphan slot row at a random free slot. The units corrupted (0 if no free slot was hit).
         */
        long corrupt(String id, boolean counter, SplittableRandom random, long capacity) {
            if (counter) {
                int units = 1 + random.nextInt(3);
                execute("UPDATE " + prefix + "resource SET reserved = reserved + ? WHERE id = ?", units, id);
                return units;
            }
            for (int attempt = 0; attempt < 10; attempt++) {
                try {
                    execute("INSERT INTO " + prefix + "slot (resource_id, slot, reservation_id) VALUES (?, ?, ?)", id,
                            random.nextLong(capacity), -1 - random.nextInt(1000));
                    return 1;
                } catch (RuntimeException taken) {
                    // the slot is occupied: another one
                }
            }
            return 0;
        }

        List<Long> slotsOf(long reservationId) {
            return jdbi.withHandle(h -> h.createQuery(
                    "SELECT slot FROM " + prefix + "slot WHERE reservation_id = ? ORDER BY slot")
                    .bind(0, reservationId).mapTo(Long.class).list());
        }

    }
}
