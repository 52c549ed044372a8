package dev.capacity.jdbc;

import dev.capacity.jdbc.CapacityAudit.Discrepancy;

import java.util.ArrayList;
import java.util.List;

/**
 * What the ledgers of some resources say, as discrepancies and notices, in resource order.
 * Not threadsafe.
 */
final class Findings {

    final List<Discrepancy> discrepancies = new ArrayList<>();
    final List<Discrepancy> notices = new ArrayList<>();

    /** Adds what is wrong with (or worth knowing about) one ledger; true if anything is wrong. */
    boolean add(LedgerRows.Ledger l) {
        int before = discrepancies.size();
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
        if (l.holdersOff() > 0) {
            discrepancies.add(new Discrepancy(id, l.family(), Discrepancy.Kind.HOLDER_MISMATCH, l.holdersOff(), 0));
        }
        // holds expired and not yet ended are free: they are no part of what is over the capacity
        long reserved = l.unreleased() - l.expired();
        if (reserved > l.capacity()) {
            notices.add(new Discrepancy(id, l.family(), Discrepancy.Kind.OVER_CAPACITY, reserved, l.capacity()));
        }
        return discrepancies.size() > before;
    }

    void addAll(Findings other) {
        discrepancies.addAll(other.discrepancies);
        notices.addAll(other.notices);
    }
}
