package dev.capacity.jdbc;

import dev.capacity.CapacityException;
import dev.capacity.HoldStatus;
import dev.capacity.ReservationListener;
import dev.capacity.internal.Events;
import dev.capacity.jdbc.CapacityAudit.Change;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The repair of one resource's ledger, as a unit of work: its lock, then its ledger, then the
 * writes that make the ledger add up. The answer is false if the resource does not exist.
 *
 * <p>Not threadsafe: one per repair.
 */
final class LedgerRepair extends Transactions.Unit<Boolean> {

    /*
     * Why a repair may run while any strategy reserves and releases, in this or other processes,
     * without losing or double-counting a reservation or release that overlaps it:
     *
     * The repair takes the resource row's exclusive lock (SELECT ... FOR UPDATE) and only then
     * reads the ledger, in a new statement at READ COMMITTED, so it reads committed data as of a
     * moment after the lock was granted.
     *
     * Counter family: every transaction that changes the unreleased reservations of a resource
     * also updates its counter row before it commits (reserve: the increment, before or after
     * inserting its row; release: the decrement after marking its row), and so holds that row's
     * lock until it commits. Such a transaction either committed before the repair got the lock,
     * and the ledger read sees all of it, or it cannot commit until the repair has: then the
     * repair sees none of it (its row changes are uncommitted, invisible at READ COMMITTED), and
     * it applies its own increment or decrement to the repaired counter. A release that marked
     * its row but waits to decrement is of the second kind. Locking the reservation rows as well
     * would add nothing and deadlock with exactly that release (it holds its reservation row and
     * waits for the resource row).
     *
     * Holders (a resource with a per-holder limit): every transaction that changes a holder's
     * units takes the resource row's lock first (the counter strategies' increment or lock, the
     * slots family's shared lock), so the same argument holds for the holder table.
     *
     * Slots family: every reserve and release holds the resource row's shared lock (exclusive on
     * H2) from its first statement to its commit, which the repair's exclusive lock waits for and
     * then excludes, so the slot rows stand still while they are repaired.
     *
     * The ledger must be read after the lock, in its own statement: a single
     * UPDATE ... SET reserved = (SELECT SUM ...) would, on PostgreSQL, wait for the row and then
     * use the subquery's older snapshot.
     */

    private final String resourceId;
    private final Instant now;
    private final ReservationListener listener;
    /** What this attempt found and changed; kept only if it commits. */
    Findings found;
    List<Change> changes;

    /** A repair of {@code resourceId} at {@code now}, whose holds ended by expiry {@code listener} hears of. */
    LedgerRepair(String resourceId, Instant now, ReservationListener listener) {
        this.resourceId = resourceId;
        this.now = now;
        this.listener = listener;
    }

    @Override
    String what() {
        return "repairing resource '" + resourceId + "'";
    }

    @Override
    int isolation() {
        return Connection.TRANSACTION_READ_COMMITTED;
    }

    @Override
    Transactions.Step<Boolean> run(Store store, Connection c, int attempt) throws SQLException {
        found = new Findings();
        changes = new ArrayList<>();
        // the lock first; the ledger after it, in a statement of its own
        Optional<ResourceRow> locked = store.resources.lock(c, resourceId);
        if (locked.isEmpty()) {
            return Transactions.Step.discard(false);
        }
        long reclaimed = ExpiredHolds.reclaim(store, c, resourceId, locked.get().family(), now,
                id -> AfterCommit.add(() -> Events.holdEnded(listener, CapacityAudit.NAME, id, HoldStatus.EXPIRED)));
        if (reclaimed > 0) {
            changes.add(new Change(resourceId, "ended the holds that had expired by " + now + ", " + reclaimed
                    + " unit(s) back"));
        }
        LedgerRows.Ledger ledger = store.ledgers.of(c, resourceId, now).orElseThrow(
                () -> new CapacityException("resource '" + resourceId + "' vanished while it was locked"));
        if (!found.add(ledger)) {
            return reclaimed > 0 ? Transactions.Step.keep(true) : Transactions.Step.discard(true);
        }
        if (ledger.holdersOff() > 0) {
            // under the resource's lock, which every change to a holder's units takes first
            store.holders.rebuild(c, resourceId);
            changes.add(new Change(resourceId, "counted every holder's units again from the unreleased reservations ("
                    + ledger.holdersOff() + " holder(s) disagreed)"));
        }
        if (!Sql.COUNTER.equals(ledger.family())) {
            repairSlots(store, c, ledger);
        } else if (ledger.reserved() != ledger.unreleased()) {
            store.resources.setReserved(c, resourceId, ledger.capacity(), ledger.reserved(), ledger.unreleased());
            changes.add(new Change(resourceId, "set the reserved counter from " + ledger.reserved() + " to "
                    + ledger.unreleased() + ", the sum of the unreleased reservations"));
        }
        return Transactions.Step.keep(true);
    }

    /**
     * Deletes orphan slots and the excess slots of reservations, moves overflow slots into the room
     * that made, then gives each reservation that holds too few the slots it lacks: free slots
     * below the capacity while there are any, then slots above it, as after a shrink (reported
     * as over capacity), so the ledger always adds up.
     */
    private void repairSlots(Store store, Connection c, LedgerRows.Ledger ledger) throws SQLException {
        String id = ledger.id();
        long capacity = ledger.capacity();
        // a repair may free slots: the next refusal that finds none free marks the resource again
        store.resources.clearSoldOut(c, id);
        int orphans = store.slots.deleteOrphans(c, id);
        if (orphans > 0) {
            changes.add(new Change(id, "deleted " + orphans + " slot(s) held by released, missing or other resources' reservations"));
        }
        List<LedgerRows.Misheld> misheld = store.ledgers.misheld(c, id);
        for (LedgerRows.Misheld row : misheld) {
            if (row.held() > row.quantity()) {
                List<Long> slots = store.slots.ofReservation(c, id, row.reservationId());
                long excess = row.held() - row.quantity();
                for (int i = 0; i < excess; i++) {
                    store.slots.delete(c, id, slots.get(i));
                }
                changes.add(new Change(id, "deleted " + excess + " excess slot(s) of reservation " + row.reservationId()
                        + " (quantity " + row.quantity() + ")"));
            }
        }
        int moved = UniqueSlotsStrategy.moveOverflowBelow(store, c, id, capacity);
        if (moved > 0) {
            changes.add(new Change(id, "moved " + moved + " slot(s) from above the capacity " + capacity + " into freed ones"));
        }
        SlotWalk below = new SlotWalk(store, c, id, 0, capacity);
        SlotWalk above = new SlotWalk(store, c, id, capacity, Long.MAX_VALUE);
        for (LedgerRows.Misheld row : misheld) {
            if (row.held() >= row.quantity()) {
                continue;
            }
            int missing = (int) (row.quantity() - row.held());
            List<Long> chosen = new ArrayList<>(missing);
            below.take(missing, chosen);
            int inRange = chosen.size();
            above.take(missing, chosen);
            if (chosen.size() < missing) {
                throw new CapacityException("found no free slot for reservation " + row.reservationId() + " of '" + id + "'");
            }
            int taken = store.slots.insert(c, id, chosen, row.reservationId());
            if (taken != missing) {
                throw new CapacityException("took " + taken + " of " + missing + " free slots for reservation "
                        + row.reservationId() + " of '" + id + "' while holding its lock");
            }
            changes.add(new Change(id, "gave reservation " + row.reservationId() + " its " + missing + " missing slot(s)"
                    + (inRange < missing ? ", " + (missing - inRange) + " of them above the capacity " + capacity
                    + " (no free slot below it)" : "")));
        }
    }
}
