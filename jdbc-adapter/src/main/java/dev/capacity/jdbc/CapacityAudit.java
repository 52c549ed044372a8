package dev.capacity.jdbc;

import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;

import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
 * quantity while the totals agree ({@link Discrepancy.Kind#MISALLOCATED_SLOTS}). For a resource
 * with a per-holder limit, holders whose recorded units differ from their unreleased reservations
 * ({@link Discrepancy.Kind#HOLDER_MISMATCH}). Unreleased
 * reservations adding up to more than the capacity are not a fault (a shrink below what is
 * reserved leaves exactly that); they are reported as {@link Report#notices() notices}. Holds
 * count as reserved until they expire by the options' clock; expired holds that nothing has
 * ended yet count as free, are no fault, and a repair ends them.
 *
 * <h2>Guarantees</h2>
 * {@link #audit()} takes no locks and writes nothing. It reads each resource in one statement,
 * which sees one committed moment of all three tables, and every strategy changes a resource's
 * counter or slots and its reservation rows in one transaction: so a discrepancy it reports was
 * really there at that moment, never an artefact of a reservation or release in flight.
 *
 * <p>{@link #repair()} recomputes each resource in one short transaction of its own, under the
 * resource's lock, and may run while any strategy reserves and releases, in this or other
 * processes: a reservation or release that overlaps the repair is neither lost nor counted twice
 * (why: the block comment of {@code LedgerRepair}). It never releases a reservation; units that
 * were oversold while a counter was too low stay sold, and are reported as a notice.
 *
 * <p>This class is threadsafe.
 */
public final class CapacityAudit {

    private static final Logger LOG = LoggerFactory.getLogger(CapacityAudit.class);

    private final Transactions transactions;

    /** The name the audit's repairs tell their listener events under (holds ended, stock moves). */
    static final String NAME = "capacity-audit";

    private CapacityAudit(ConnectionSource connections, StrategyOptions options) {
        this.transactions = new Transactions(connections, options, NAME);
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
        return new CapacityAudit(ConnectionSource.of(jdbi), options);
    }

    /** Checks every resource; takes no locks and writes nothing. */
    public Report audit() {
        return transactions.onConnection("auditing every resource", (store, c) -> {
            Findings findings = new Findings();
            List<LedgerRows.Ledger> ledgers = store.ledgers.all(c, now());
            ledgers.forEach(findings::add);
            return new Report(ledgers.size(), findings.discrepancies, findings.notices, List.of());
        });
    }

    /**
     * Checks one resource; takes no locks and writes nothing.
     *
     * @throws IllegalArgumentException if no resource has that id
     */
    public Report audit(String resourceId) {
        Arguments.requireId(resourceId, "resourceId");
        return transactions.onConnection("auditing resource '" + resourceId + "'", (store, c) -> {
            LedgerRows.Ledger ledger = store.ledgers.of(c, resourceId, now()).orElseThrow(() -> undefined(resourceId));
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
        return "CapacityAudit{" + transactions.options() + '}';
    }

    /** Repairs a resource in a transaction, retrying lost lock races; false if it does not exist. */
    private boolean repairOne(String resourceId, Findings findings, List<Change> changes) {
        LedgerRepair repair = new LedgerRepair(resourceId, now(), transactions.options().listener());
        boolean exists = transactions.inOwnTransaction(null, repair);
        findings.addAll(repair.found);
        changes.addAll(repair.changes);
        for (Change change : repair.changes) {
            LOG.warn("repaired resource '{}': {}", change.resourceId(), change.description());
        }
        return exists;
    }

    /** The audit's clock reading: holds expired by then count as free. */
    private Instant now() {
        return transactions.options().clock().instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static IllegalArgumentException undefined(String resourceId) {
        return new IllegalArgumentException("resourceId '" + resourceId + "' is not defined");
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
            /** A resource with a per-holder limit: this many holders' recorded units disagree with their unreleased reservations, against 0. */
            HOLDER_MISMATCH,
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
                case HOLDER_MISMATCH:
                    what = recorded + " holder(s) recorded with other than the units of their unreleased reservations";
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
}
