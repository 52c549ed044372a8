package dev.capacity.jdbc;

import dev.capacity.CapacityException;
import dev.capacity.StoreUnavailableException;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;
import dev.capacity.internal.RetryBudget;

import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that every resource's ledger adds up (invariant 3 of the contract), and repairs the ones
 * that do not: after a bug, a manual edit, or a restore that mixed tables from different moments.
 *
 * <pre>{@code
 * CapacityAudit audit = CapacityAudit.of(jdbi);
 * CapacityAudit.Report report = audit.audit();
 * if (!report.isClean()) {
 *     audit.repair();
 * }
 * }</pre>
 *
 * <h2>What is checked</h2>
 * For the counter family, the {@code reserved} counter against the sum of the quantities of the
 * resource's unreleased reservations ({@link Discrepancy.Kind#COUNTER_MISMATCH}). For the slots
 * family, slot rows that no unreleased reservation of the resource holds
 * ({@link Discrepancy.Kind#ORPHAN_SLOTS}), the slots held against the sum of the quantities
 * ({@link Discrepancy.Kind#SLOT_COUNT_MISMATCH}), and reservations that hold other than their
 * quantity while the totals agree ({@link Discrepancy.Kind#MISALLOCATED_SLOTS}). Unreleased
 * reservations adding up to more than the capacity are not a fault (a shrink below what is
 * reserved leaves exactly that); they are reported as {@link Report#notices() notices}.
 *
 * <h2>Guarantees</h2>
 * {@link #audit()} takes no locks and writes nothing. It reads each resource in one statement,
 * which sees one committed moment of all three tables, and every strategy changes a resource's
 * counter or slots and its reservation rows in one transaction: so a discrepancy it reports was
 * really there at that moment, never an artefact of a reservation or release in flight.
 *
 * <p>{@link #repair()} recomputes each resource in one short transaction of its own, and may run
 * while any strategy reserves and releases, in this or other processes: a reservation or release
 * that overlaps the repair is neither lost nor counted twice. It never releases a reservation;
 * units that were oversold while a counter was too low stay sold, and are reported as a notice.
 *
 * <h2>Concurrency</h2>
 * A repair takes the resource row's exclusive lock ({@code SELECT ... FOR UPDATE}) and only then
 * reads the ledger, in a new statement at READ COMMITTED, so it reads committed data as of a
 * moment after the lock was granted. For the counter family, every transaction that changes the
 * unreleased reservations of a resource also updates its counter row before it commits (reserve:
 * the increment, before or after inserting its row; release: the decrement after marking its
 * row), and so holds that row's lock until it commits. Such a transaction either committed before
 * the repair got the lock, and the ledger read sees all of it, or it cannot commit until the
 * repair has: then the repair sees none of it (its row changes are uncommitted, invisible at
 * READ COMMITTED), and it applies its own increment or decrement to the repaired counter. A
 * release that marked its row but waits to decrement is of the second kind. Locking the
 * reservation rows as well would add nothing and deadlock with exactly that release (it holds its
 * reservation row and waits for the resource row). For the slots family, every reserve and
 * release holds the resource row's shared lock (exclusive on H2) from its first statement to its
 * commit, which the repair's exclusive lock waits for and then excludes, so the slot rows stand
 * still while they are repaired. The ledger must be read after the lock, in its own statement: a
 * single {@code UPDATE ... SET reserved = (SELECT SUM ...)} would, on PostgreSQL, wait for the
 * row and then use the subquery's older snapshot.
 *
 * <p>This class is threadsafe.
 */
public final class CapacityAudit {

    private static final Logger LOG = LoggerFactory.getLogger(CapacityAudit.class);

    private final StrategyOptions options;
    private final Connections connections;
    private volatile Store store;

    private CapacityAudit(Jdbi jdbi, StrategyOptions options) {
        this.options = options;
        this.connections = new Connections(jdbi);
    }

    /** The audit of the tables with the default prefix. */
    public static CapacityAudit of(Jdbi jdbi) {
        return of(jdbi, StrategyOptions.defaults());
    }

    /**
     * The audit of the tables with {@code options.tablePrefix()}; a repair waits for a resource's
     * lock at most {@code options.lockTimeout()} per attempt and retries within the options'
     * retry budget.
     */
    public static CapacityAudit of(Jdbi jdbi, StrategyOptions options) {
        Arguments.requireNonNull(jdbi, "jdbi");
        Arguments.requireNonNull(options, "options");
        return new CapacityAudit(jdbi, options);
    }

    /** Checks every resource; takes no locks and writes nothing. */
    public Report audit() {
        return withConnection("auditing every resource", (store, c) -> {
            Findings findings = new Findings();
            long[] checked = new long[1];
            store.forEachLedger(c, ledger -> {
                checked[0]++;
                findings.add(ledger);
            });
            return new Report(checked[0], findings.discrepancies, findings.notices, List.of());
        });
    }

    /**
     * Checks one resource; takes no locks and writes nothing.
     *
     * @throws IllegalArgumentException if no resource has that id
     */
    public Report audit(String resourceId) {
        Arguments.requireId(resourceId, "resourceId");
        return withConnection("auditing resource '" + resourceId + "'", (store, c) -> {
            Store.LedgerRow ledger = store.ledgerOf(c, resourceId).orElseThrow(() -> undefined(resourceId));
            Findings findings = new Findings();
            findings.add(ledger);
            return new Report(1, findings.discrepancies, findings.notices, List.of());
        });
    }

    /**
     * Repairs every resource that the audit finds wrong, each in a transaction of its own; safe
     * while reservations and releases go on. The report lists what was found (under the lock)
     * and what was changed.
     */
    public Report repair() {
        Report audited = audit();
        List<String> wrong = new ArrayList<>();
        for (Discrepancy d : audited.discrepancies()) {
            if (wrong.isEmpty() || !wrong.get(wrong.size() - 1).equals(d.resourceId())) {
                wrong.add(d.resourceId());
            }
        }
        Findings findings = new Findings();
        List<Change> changes = new ArrayList<>();
        for (String resourceId : wrong) {
            repairOne(resourceId, findings, changes);
        }
        // the notices of resources that needed no repair come from the audit
        for (Discrepancy notice : audited.notices()) {
            if (!wrong.contains(notice.resourceId())) {
                findings.notices.add(notice);
            }
        }
        return new Report(audited.resourcesChecked(), findings.discrepancies, findings.notices, changes);
    }

    /**
     * Repairs one resource in one transaction, after taking its lock, whether or not a lock-free
     * audit finds it wrong; safe while reservations and releases go on.
     *
     * @throws IllegalArgumentException if no resource has that id
     */
    public Report repair(String resourceId) {
        Arguments.requireId(resourceId, "resourceId");
        Findings findings = new Findings();
        List<Change> changes = new ArrayList<>();
        if (!repairOne(resourceId, findings, changes)) {
            throw undefined(resourceId);
        }
        return new Report(1, findings.discrepancies, findings.notices, changes);
    }

    @Override
    public String toString() {
        return "CapacityAudit{" + options + '}';
    }

    // ---- repair

    /** Repairs a resource in a transaction, retrying lost lock races; false if it does not exist. */
    private boolean repairOne(String resourceId, Findings findings, List<Change> changes) {
        String what = "repairing resource '" + resourceId + "'";
        RetryBudget budget = RetryBudget.start(options);
        for (;;) {
            int attempt = budget.beginAttempt();
            Exception lost;
            Findings found = new Findings();
            List<Change> changed = new ArrayList<>();
            Connections.Lease own = open(what);
            Connection c = own.connection;
            try {
                Store store = store(c);
                int isolation = c.getTransactionIsolation();
                boolean autoCommit = c.getAutoCommit();
                try {
                    if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                    }
                    c.setAutoCommit(false);
                    boolean exists = repairIn(store, c, resourceId, found, changed);
                    c.commit();
                    findings.discrepancies.addAll(found.discrepancies);
                    findings.notices.addAll(found.notices);
                    changes.addAll(changed);
                    for (Change change : changed) {
                        LOG.warn("repaired resource '{}': {}", change.resourceId(), change.description());
                    }
                    return exists;
                } catch (SQLException | RuntimeException e) {
                    JdbiStrategy.rollbackQuietly(c);
                    if (SqlErrors.classify(e) != SqlErrors.Kind.CONTENTION) {
                        throw translate(what, e);
                    }
                    lost = e;
                } finally {
                    JdbiStrategy.restoreAutoCommit(c, autoCommit);
                    restoreIsolation(c, isolation);
                }
            } catch (SQLException e) {
                throw translate(what, e);
            } finally {
                own.close();
            }
            long backoff = budget.nextBackoffNanos();
            LOG.debug("{}: attempt {} lost a lock race ({})", what, attempt, SqlErrors.describe(lost));
            if (backoff == RetryBudget.SPENT || !RetryBudget.sleep(backoff)) {
                throw new CapacityException(what + " gave up after " + attempt + " attempts: "
                        + SqlErrors.describe(lost) + "; nothing was changed, running it again is safe", lost);
            }
        }
    }

    /** The repair of one resource, in the given transaction; false if it does not exist. */
    private static boolean repairIn(Store store, Connection c, String resourceId, Findings found, List<Change> changed)
            throws SQLException {
        // the lock first; the ledger after it, in a statement of its own (see "Concurrency")
        if (store.lockResource(c, resourceId).isEmpty()) {
            return false;
        }
        Store.LedgerRow ledger = store.ledgerOf(c, resourceId).orElseThrow(
                () -> new CapacityException("resource '" + resourceId + "' vanished while it was locked"));
        int before = found.discrepancies.size();
        found.add(ledger);
        if (found.discrepancies.size() == before) {
            return true;
        }
        if (Sql.COUNTER.equals(ledger.family())) {
            store.setReserved(c, resourceId, ledger.unreleased());
            changed.add(new Change(resourceId, "set the reserved counter from " + ledger.reserved() + " to "
                    + ledger.unreleased() + ", the sum of the unreleased reservations"));
        } else {
            repairSlots(store, c, ledger, changed);
        }
        return true;
    }

    /**
     * Deletes orphan slots and the excess slots of reservations, moves overflow slots into the room
     * that made, then gives each reservation that holds too few the slots it lacks: free slots
     * below the capacity while there are any, then slots above it, as after a shrink (reported
     * as over capacity), so the ledger always adds up.
     */
    private static void repairSlots(Store store, Connection c, Store.LedgerRow ledger, List<Change> changed)
            throws SQLException {
        String id = ledger.id();
        long capacity = ledger.capacity();
        int orphans = store.deleteOrphanSlots(c, id);
        if (orphans > 0) {
            changed.add(new Change(id, "deleted " + orphans + " slot(s) held by released, missing or other resources' reservations"));
        }
        List<Store.MisheldRow> misheld = store.misheldReservations(c, id);
        for (Store.MisheldRow row : misheld) {
            if (row.held() > row.quantity()) {
                List<Long> slots = store.slotsOfReservation(c, id, row.reservationId());
                long excess = row.held() - row.quantity();
                for (int i = 0; i < excess; i++) {
                    store.deleteSlot(c, id, slots.get(i));
                }
                changed.add(new Change(id, "deleted " + excess + " excess slot(s) of reservation " + row.reservationId()
                        + " (quantity " + row.quantity() + ")"));
            }
        }
        int moved = UniqueSlotsStrategy.moveOverflowBelow(store, c, id, capacity);
        if (moved > 0) {
            changed.add(new Change(id, "moved " + moved + " slot(s) from above the capacity " + capacity + " into freed ones"));
        }
        UniqueSlotsStrategy.SlotWalk below = new UniqueSlotsStrategy.SlotWalk(store, c, id, 0, capacity);
        UniqueSlotsStrategy.SlotWalk above = new UniqueSlotsStrategy.SlotWalk(store, c, id, capacity, Long.MAX_VALUE);
        for (Store.MisheldRow row : misheld) {
            if (row.held() >= row.quantity()) {
                continue;
            }
            int missing = (int) (row.quantity() - row.held());
            List<Long> chosen = new ArrayList<>(missing);
            take(below, chosen, missing);
            int inRange = chosen.size();
            take(above, chosen, missing);
            if (chosen.size() < missing) {
                throw new CapacityException("found no free slot for reservation " + row.reservationId() + " of '" + id + "'");
            }
            int taken = store.insertSlots(c, id, chosen, row.reservationId());
            if (taken != missing) {
                throw new CapacityException("took " + taken + " of " + missing + " free slots for reservation "
                        + row.reservationId() + " of '" + id + "' while holding its lock");
            }
            changed.add(new Change(id, "gave reservation " + row.reservationId() + " its " + missing + " missing slot(s)"
                    + (inRange < missing ? ", " + (missing - inRange) + " of them above the capacity " + capacity
                    + " (no free slot below it)" : "")));
        }
    }

    private static void take(UniqueSlotsStrategy.SlotWalk walk, List<Long> chosen, int wanted) throws SQLException {
        while (chosen.size() < wanted) {
            List<Long> free = walk.next(wanted - chosen.size());
            if (free.isEmpty()) {
                return;
            }
            chosen.addAll(free);
        }
    }

    // ---- findings

    /** What the ledgers of some resources say, as discrepancies and notices, in resource order. */
    private static final class Findings {
        final List<Discrepancy> discrepancies = new ArrayList<>();
        final List<Discrepancy> notices = new ArrayList<>();

        void add(Store.LedgerRow l) {
            String id = l.id();
            if (Sql.COUNTER.equals(l.family())) {
                if (l.reserved() != l.unreleased()) {
                    discrepancies.add(new Discrepancy(id, l.family(), Discrepancy.Kind.COUNTER_MISMATCH, l.reserved(),
                            l.unreleased()));
                }
            } else if (Sql.SLOTS.equals(l.family())) {
                long orphans = l.occupied() - l.held();
                if (orphans > 0) {
                    discrepancies.add(new Discrepancy(id, l.family(), Discrepancy.Kind.ORPHAN_SLOTS, orphans, 0));
                }
                if (l.held() != l.unreleased()) {
                    discrepancies.add(new Discrepancy(id, l.family(), Discrepancy.Kind.SLOT_COUNT_MISMATCH, l.held(),
                            l.unreleased()));
                } else if (l.misheld() > 0) {
                    discrepancies.add(new Discrepancy(id, l.family(), Discrepancy.Kind.MISALLOCATED_SLOTS, l.misheld(), 0));
                }
            }
            if (l.unreleased() > l.capacity()) {
                notices.add(new Discrepancy(id, l.family(), Discrepancy.Kind.OVER_CAPACITY, l.unreleased(), l.capacity()));
            }
        }
    }

    /**
     * One thing wrong with one resource's ledger (or, for {@link Kind#OVER_CAPACITY}, worth
     * knowing): what the tables record and what the unreleased reservations say it should be.
     *
     * @param resourceId the resource
     * @param family {@code counter} or {@code slots}
     * @param kind what disagrees
     * @param recorded what the tables hold (see {@link Kind})
     * @param expected what the unreleased reservations say (see {@link Kind})
     */
    public record Discrepancy(String resourceId, String family, Kind kind, long recorded, long expected) {

        /** What disagrees, and what {@code recorded} and {@code expected} count. */
        public enum Kind {
            /** Counter family: the {@code reserved} counter, against the sum of the unreleased quantities. */
            COUNTER_MISMATCH,
            /** Slots family: the slots held by unreleased reservations, against the sum of their quantities. */
            SLOT_COUNT_MISMATCH,
            /** Slots family: slot rows of released or missing reservations (or of another resource's), against 0. */
            ORPHAN_SLOTS,
            /** Slots family: the totals agree, but this many unreleased reservations hold other than their quantity, against 0. */
            MISALLOCATED_SLOTS,
            /** A notice, not a fault: the unreleased quantities, against a smaller capacity (as after a shrink). */
            OVER_CAPACITY
        }

        public Discrepancy {
            Arguments.requireNonNull(resourceId, "resourceId");
            Arguments.requireNonNull(family, "family");
            Arguments.requireNonNull(kind, "kind");
        }

        @Override
        public String toString() {
            String what;
            switch (kind) {
                case COUNTER_MISMATCH:
                    what = "reserved counter is " + recorded + ", unreleased reservations add up to " + expected;
                    break;
                case SLOT_COUNT_MISMATCH:
                    what = "unreleased reservations hold " + recorded + " slot(s) but add up to " + expected;
                    break;
                case ORPHAN_SLOTS:
                    what = recorded + " slot(s) held by released, missing or other resources' reservations";
                    break;
                case MISALLOCATED_SLOTS:
                    what = recorded + " unreleased reservation(s) hold other than their quantity of slots";
                    break;
                default:
                    what = "unreleased reservations add up to " + recorded + ", over the capacity " + expected
                            + " (not a fault: new reservations are refused until releases bring it under)";
                    break;
            }
            return kind + " on '" + resourceId + "' (" + family + "): " + what;
        }
    }

    /** One change a repair made to one resource, described for people. */
    public record Change(String resourceId, String description) {
        @Override
        public String toString() {
            return "'" + resourceId + "': " + description;
        }
    }

    /**
     * What an audit or a repair found, and what a repair changed. For a repair, the discrepancies
     * are the ones it found under the lock and corrected; an empty list means nothing needed it.
     * Immutable and threadsafe.
     */
    public static final class Report {
        private final long resourcesChecked;
        private final List<Discrepancy> discrepancies;
        private final List<Discrepancy> notices;
        private final List<Change> changes;

        Report(long resourcesChecked, List<Discrepancy> discrepancies, List<Discrepancy> notices, List<Change> changes) {
            this.resourcesChecked = resourcesChecked;
            this.discrepancies = List.copyOf(discrepancies);
            this.notices = List.copyOf(notices);
            this.changes = List.copyOf(changes);
        }

        /** How many resources were read. */
        public long resourcesChecked() {
            return resourcesChecked;
        }

        /** The faults found, by resource id (the order the database returns for an audit of all). */
        public List<Discrepancy> discrepancies() {
            return discrepancies;
        }

        /** Findings that are not faults: {@link Discrepancy.Kind#OVER_CAPACITY}. */
        public List<Discrepancy> notices() {
            return notices;
        }

        /** What a repair changed; empty for an audit, and for a repair that found nothing wrong. */
        public List<Change> changes() {
            return changes;
        }

        /** Whether no fault was found; notices do not count. */
        public boolean isClean() {
            return discrepancies.isEmpty();
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder();
            text.append(resourcesChecked).append(resourcesChecked == 1 ? " resource" : " resources").append(" checked, ")
                    .append(isClean() ? "clean" : discrepancies.size() + " discrepancies");
            for (Discrepancy d : discrepancies) {
                text.append("\n  ").append(d);
            }
            for (Discrepancy n : notices) {
                text.append("\n  notice: ").append(n);
            }
            for (Change change : changes) {
                text.append("\n  changed ").append(change);
            }
            return text.toString();
        }
    }

    // ---- plumbing

    private <T> T withConnection(String what, JdbiStrategy.Work<T> work) {
        Connections.Lease own = open(what);
        try {
            Connection c = own.connection;
            return work.run(store(c), c);
        } catch (SQLException | RuntimeException e) {
            throw translate(what, e);
        } finally {
            own.close();
        }
    }

    private Connections.Lease open(String what) {
        try {
            return connections.open();
        } catch (SQLException | RuntimeException e) {
            throw translate(what, e);
        }
    }

    private Store store(Connection c) throws SQLException {
        Store detected = store;
        if (detected == null) {
            detected = new Store(new Sql(Dialect.detect(c), options));
            store = detected;
        }
        return detected;
    }

    private static void restoreIsolation(Connection c, int isolation) {
        try {
            if (c.getTransactionIsolation() != isolation) {
                c.setTransactionIsolation(isolation);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("restoring the isolation level failed; the connection is probably gone", e);
        }
    }

    private static IllegalArgumentException undefined(String resourceId) {
        return new IllegalArgumentException("resourceId '" + resourceId + "' is not defined");
    }

    private RuntimeException translate(String what, Exception failure) {
        if (failure instanceof CapacityException || failure instanceof IllegalArgumentException
                || failure instanceof IllegalStateException || failure instanceof NullPointerException
                || failure instanceof UnsupportedOperationException) {
            return (RuntimeException) failure;
        }
        switch (SqlErrors.classify(failure)) {
            case UNAVAILABLE:
                return new StoreUnavailableException("cannot reach the database while " + what + " ("
                        + SqlErrors.describe(failure) + "); a repair may or may not have committed, running it again is safe",
                        failure);
            case MISSING_SCHEMA:
                Sql sql = store == null ? new Sql(Dialect.H2, options) : store.sql;
                return new IllegalStateException("the capacity tables (" + sql.resourceTable + ", "
                        + sql.reservationTable + ", " + sql.slotTable + ") do not exist in this database; "
                        + "run CapacitySchema.install(jdbi) or apply CapacitySchema.ddl(jdbi) first", failure);
            default:
                return new CapacityException("unexpected database error while " + what + " ("
                        + SqlErrors.describe(failure) + ")", failure);
        }
    }
}
