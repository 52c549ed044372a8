package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.CapacityMath;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * unique-slots: each reserved unit is a row under the unique key {@code (resource, slot)} with
 * {@code 0 <= slot < capacity}. Two callers can only both succeed on different slots, so the
 * database's uniqueness decides the race and no counter row is updated: reservations of one
 * resource do not queue behind one hot row.
 *
 * <h2>Finding free slots</h2>
 * An attempt starts at a random slot and walks the occupied slots upward in index order, in
 * windows, collecting the gaps it finds, then wraps around to the start. Random starts keep
 * concurrent callers apart while the resource has room; as it fills, the walk finds the remaining
 * gaps wherever they are, so the last free slot is always found. The chosen slots are inserted in
 * one batch in ascending order ({@code INSERT ... ON CONFLICT DO NOTHING} on PostgreSQL, so a
 * slot taken meanwhile is skipped and never aborts the transaction). If any was taken meanwhile,
 * the attempt is retried as a whole rather than topped up: a transaction then only ever waits for
 * a slot above every slot it holds, so two reservations can never deadlock on each other's
 * slots, and every retry follows another caller's success. A walk that finds too few gaps counts
 * the occupied slots in one statement (one snapshot): fewer free than needed is
 * {@code INSUFFICIENT_CAPACITY}; more means slots were released behind the walk, and the attempt
 * is retried. No rows are created in advance, so a capacity of millions costs nothing until it is
 * used.
 *
 * <h2>Resize and release</h2>
 * Reserves and releases hold a shared lock on the resource row ({@code FOR KEY SHARE} on
 * PostgreSQL, which reserves do not contend on), and a resize holds the exclusive one, so a
 * capacity never changes under a reserve that read it. After a shrink below what is occupied,
 * slots at or above the new capacity ("overflow") stay with their reservations; the resize moves
 * as many as fit into free slots below the capacity, and a release below the capacity moves an
 * overflow slot into the place it frees. So while overflow exists, every slot below the capacity
 * is taken and new reservations are refused, until releases bring the count under the capacity.
 * H2 has no shared row lock, so there the lock is exclusive and reserves of one resource run one
 * at a time.
 *
 * <h2>Sold out</h2>
 * Without a counter, only a walk over every occupied slot can prove that none is free, which at
 * a capacity of millions takes most of a second. So the first reserve that a walk refuses with
 * no slot free marks the resource sold out, and later refusals read the mark instead of walking:
 * the mark, and that no hold has expired. A reserve in a transaction of the strategy's own marks
 * in that transaction. One in the caller's transaction marks in a transaction of its own on the
 * caller's connection once the caller has committed, since the mark's lock would otherwise hold
 * every release up until then (a caller that rolls back marks nothing); an order, whose refusal
 * rolls its transaction back, and a transaction above READ COMMITTED, whose count could miss a
 * release, mark in one of their own after it, at READ COMMITTED. The mark
 * is made under the row's update lock ({@code FOR NO KEY UPDATE} on PostgreSQL, which reserves'
 * shared lock lets through), after counting the slots again; every transaction that frees
 * slots (a release, an expiry, a reclaim) first clears the mark, then takes the row in a shared
 * mode that the update lock excludes ({@code FOR SHARE}), and starts over if it finds the mark
 * set after all. So a mark is only ever seen while no slot was freed since it was made: the
 * refusal it gives is the one a walk would give. A resize and a repair clear it too. The mark is
 * never written on the grant path, and a release writes it only when it is set; a node of a
 * Galera cluster, whose row locks other nodes never see, makes no mark and walks.
 */
final class UniqueSlotsStrategy extends JdbiStrategy {

    private static final Logger LOG = LoggerFactory.getLogger(UniqueSlotsStrategy.class);

    UniqueSlotsStrategy(ConnectionSource connections, StrategyOptions options) {
        super(StrategyKind.UNIQUE_SLOTS, Sql.SLOTS, connections, options);
    }

    @Override
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined) throws SQLException {
        String resourceId = request.resourceId();
        Optional<ResourceRow> shared = store.resources.share(c, resourceId);
        if (shared.isEmpty()) {
            return Attempt.refused(Status.UNKNOWN_RESOURCE, 0);
        }
        requireFamily(shared.get().family(), resourceId);
        Instant expiry = expiryOf(request, now);
        OptionalLong id = store.reservations.insert(c, request, now, expiry);
        if (id.isEmpty()) {
            return replay(store, c, request);
        }
        Attempt refused = takeSlots(store, c, resourceId, shared.get(), new long[] {id.getAsLong()},
                new int[] {request.quantity()}, now);
        if (refused != null) {
            if (!provesSoldOutUnmarked(store, shared.get(), refused)) {
                return refused;
            }
            return joined ? Attempt.refusedSoldOutUnmarked()
                    : markIfSoldOut(store, c, resourceId, shared.get(), id.getAsLong(), refused, now);
        }
        // after the slots, as every strategy decides capacity first; a refusal rolls them back
        if (shared.get().isLimited()) {
            Attempt limited = takeHolderUnits(store, c, resourceId, request.holderId(), request.quantity(),
                    shared.get().holderLimit(), ReservationResult.UNKNOWN_AVAILABLE, now);
            if (limited != null) {
                return limited;
            }
        }
        return Attempt.reserved(reservation(id.getAsLong(), request, now, expiry), ReservationResult.UNKNOWN_AVAILABLE);
    }

    /** An order's part: the shared lock, then one walk for the part's slots, given to its lines in line order. */
    @Override
    Attempt takePart(Store store, Connection c, OrderPart part, long[] ids, Instant now, boolean joined)
            throws SQLException {
        Optional<ResourceRow> shared = store.resources.share(c, part.resourceId);
        if (shared.isEmpty()) {
            return Attempt.refused(Status.UNKNOWN_RESOURCE, 0);
        }
        requireFamily(shared.get().family(), part.resourceId);
        part.holderLimit = shared.get().holderLimit();
        long[] reservations = new long[part.lines.size()];
        int[] quantities = new int[part.lines.size()];
        for (int k = 0; k < reservations.length; k++) {
            reservations[k] = ids[part.lines.get(k)];
            quantities[k] = part.quantities.get(k);
        }
        Attempt refused = takeSlots(store, c, part.resourceId, shared.get(), reservations, quantities, now);
        // a refusal rolls the order's transaction back, mark and all: the mark is made after it
        return refused != null && provesSoldOutUnmarked(store, shared.get(), refused) ? Attempt.refusedSoldOutUnmarked()
                : refused;
    }

    /**
     * Finds the slots for reservations of {@code quantities} in one walk and inserts them in
     * ascending order, the first reservation's lowest; null if taken, otherwise full or a lost
     * race. Called under the resource's shared lock.
     */
    private Attempt takeSlots(Store store, Connection c, String resourceId, ResourceRow row, long[] reservations,
                              int[] quantities, Instant now) throws SQLException {
        // the mark read with the share lock may be older than a transaction that since ended the expired holds
        // and cleared it (PostgreSQL's FOR KEY SHARE does not wait for that): mark and holds are read again together
        if (row.soldOut() && store.resources.soldOutAndNoneExpired(c, resourceId, now)) {
            return Attempt.refused(Status.INSUFFICIENT_CAPACITY, 0);
        }
        long capacity = row.capacity();
        long units = 0;
        for (int quantity : quantities) {
            units += quantity;
        }
        if (units > Integer.MAX_VALUE && units <= capacity) {
            throw new IllegalArgumentException("an order may take at most " + Integer.MAX_VALUE + " slots of '"
                    + resourceId + "', its lines asked for " + units);
        }
        List<Long> chosen = List.of();
        for (boolean reclaimed = false; units <= capacity; reclaimed = true) {
            chosen = freeSlots(store, c, resourceId, capacity, (int) units);
            // short of slots: the slots of expired holds are freed (under the shared lock this attempt holds), once
            if (chosen.size() == units || reclaimed || reclaimExpired(store, c, resourceId, now) == 0) {
                break;
            }
        }
        if (chosen.size() < units) {
            // one snapshot decides: fewer free slots than asked for means full
            long free = capacity - store.slots.countBelow(c, resourceId, capacity);
            if (free >= units) {
                return Attempt.retry("slots were released behind the walk");
            }
            return full(store, c, resourceId, units, now, () -> capacity - store.slots.countBelow(c, resourceId, capacity));
        }
        int from = 0;
        for (int k = 0; k < reservations.length; k++) {
            int taken = store.slots.insert(c, resourceId, chosen.subList(from, from + quantities[k]), reservations[k]);
            if (taken < quantities[k]) {
                return Attempt.retry((quantities[k] - taken) + " of the chosen slots were taken meanwhile");
            }
            from += quantities[k];
        }
        return null;
    }

    /** Whether a walk's refusal found no slot free on a resource not marked sold out, where marks are kept. */
    private static boolean provesSoldOutUnmarked(Store store, ResourceRow row, Attempt refused) {
        return !row.soldOut() && refused.status() == Status.INSUFFICIENT_CAPACITY && refused.available() == 0
                && store.sql.dialect.marksSoldOut();
    }

    /**
     * After a walk's refusal that found no slot free: marks the resource sold out, unless it is
     * marked already (above READ COMMITTED it leaves the mark to be made after the transaction),
     * and keeps the mark with the refusal (the refusal's own reservation row deleted). Counted
     * again under the update lock, which waits for every transaction freeing slots: a slot freed
     * since the walk makes it a lost race.
     */
    private Attempt markIfSoldOut(Store store, Connection c, String resourceId, ResourceRow row, long reservationId,
                                  Attempt refused, Instant now) throws SQLException {
        if (c.getTransactionIsolation() != Connection.TRANSACTION_READ_COMMITTED) {
            // its count could miss a release the mark's lock waits for: marked after, at READ COMMITTED
            return Attempt.refusedSoldOutUnmarked();
        }
        if (!store.resources.markSoldOut(c, resourceId)) {
            return refused;
        }
        if (!stillSoldOut(store, c, resourceId, row.capacity(), now)) {
            return Attempt.retry("slots of '" + resourceId + "' were freed while it was being marked sold out");
        }
        store.reservations.delete(c, reservationId);
        return Attempt.refusedKeeping(Status.INSUFFICIENT_CAPACITY, 0);
    }

    /**
     * Under the update lock a mark takes: whether every slot below {@code capacity} is taken and no
     * hold has expired. Only at READ COMMITTED does the count see a release that the lock waited
     * for; at a stricter level it reads the transaction's snapshot, older than that release.
     */
    private static boolean stillSoldOut(Store store, Connection c, String resourceId, long capacity, Instant now)
            throws SQLException {
        return !store.reservations.anyExpired(c, resourceId, now) && store.slots.countBelow(c, resourceId, capacity) >= capacity;
    }

    /**
     * The mark of a refusal whose transaction could not keep it. In the caller's transaction the
     * mark's update lock would hold every release of the resource up until the caller commits; an
     * order's refusal rolls its whole transaction back; above READ COMMITTED the count could miss a
     * release. So, once the caller has committed (or the refusal's own transaction has ended), the
     * mark is made here in a transaction of its own at READ
     * COMMITTED: the row locked as the mark's UPDATE would lock it (so it waits for the releases in
     * flight, as a mark does), the mark, the slots counted again (freed meanwhile, no mark). It is
     * tried once: a lock not had within the lock timeout, or a deadlock, leaves the resource
     * unmarked, as any failure does, and the next refusal walks again. A failure is logged, never
     * thrown (into the caller's commit, say).
     */
    @Override
    void markSoldOut(Connection given, String resourceId) {
        try {
            transactions.inOwnTransaction(given, new Marking(resourceId));
        } catch (RuntimeException e) {
            LOG.debug("marking '{}' sold out after a refusal failed; the next refusal walks", resourceId, e);
        }
    }

    /** The mark made after a refusal whose transaction could not keep it: true if made. */
    private final class Marking extends Transactions.Unit<Boolean> {
        private final String resourceId;

        Marking(String resourceId) {
            this.resourceId = resourceId;
        }

        @Override
        String what() {
            return "marking '" + resourceId + "' sold out after a refusal";
        }

        @Override
        Transactions.Step<Boolean> run(Store store, Connection c, int attempt) throws SQLException {
            try {
                Optional<ResourceRow> locked = store.resources.lockAsUpdate(c, resourceId);
                if (locked.isEmpty() || locked.get().soldOut() || !store.resources.markSoldOut(c, resourceId)) {
                    return Transactions.Step.discard(false);
                }
                return stillSoldOut(store, c, resourceId, locked.get().capacity(), now())
                        ? Transactions.Step.keep(true) : Transactions.Step.discard(false);
            } catch (SQLException e) {
                if (SqlErrors.classify(e) != SqlErrors.Kind.CONTENTION) {
                    throw e;
                }
                // once only: a wait for the row is a wait in the caller's commit
                LOG.debug("not marking '{}' sold out: {}", resourceId, SqlErrors.describe(e));
                return Transactions.Step.discard(false);
            }
        }

        @Override
        int isolation() {
            return Connection.TRANSACTION_READ_COMMITTED;
        }
    }

    /**
     * Up to {@code quantity} slots below {@code capacity} that no committed row occupies, from a
     * random start upward, then from 0; in ascending order, the order they are inserted in.
     */
    private static List<Long> freeSlots(Store store, Connection c, String resourceId, long capacity, int quantity) throws SQLException {
        long start = ThreadLocalRandom.current().nextLong(capacity);
        List<Long> chosen = new ArrayList<>(quantity);
        new SlotWalk(store, c, resourceId, start, capacity).take(quantity, chosen);
        new SlotWalk(store, c, resourceId, 0, start).take(quantity, chosen);
        Collections.sort(chosen);
        return chosen;
    }

    @Override
    boolean endReservation(Store store, Connection c, ReservationRows.State reservation, long reservationId, Instant now,
                           boolean byExpiry, long releaseToken) throws SQLException {
        String resourceId = reservation.resourceId();
        ResourceRow row = freeing(store, c, resourceId);
        boolean ended = byExpiry ? store.reservations.expire(c, reservationId, now)
                : store.reservations.release(c, reservationId, now, releaseToken);
        if (!ended) {
            return false;
        }
        freeSlotsOf(store, c, resourceId, row.capacity(), reservationId, reservation.quantity());
        if (row.isLimited()) {
            store.holders.give(c, resourceId, reservation.holderId(), reservation.quantity());
        }
        return true;
    }

    /**
     * Clears the resource's sold-out mark and takes the shared lock of a transaction that frees
     * slots (held until its end), which a mark waits for; the row. The mark is cleared before the
     * lock is taken, since clearing it under the lock would be an upgrade that two releases could
     * deadlock on; a mark made between the two is a lost race.
     */
    static ResourceRow freeing(Store store, Connection c, String resourceId) throws SQLException {
        if (!store.sql.dialect.marksSoldOut()) {
            return store.resources.share(c, resourceId).orElseThrow(() -> vanished(resourceId));
        }
        store.resources.clearSoldOut(c, resourceId);
        ResourceRow row = store.resources.shareAgainstMarks(c, resourceId).orElseThrow(() -> vanished(resourceId));
        if (row.soldOut()) {
            throw Jdbc.lostRace("'" + resourceId + "' was marked sold out while slots were being freed");
        }
        return row;
    }

    private static IllegalStateException vanished(String resourceId) {
        return new IllegalStateException("resource '" + resourceId + "' vanished");
    }

    /**
     * Deletes the slots of a reservation that ended in this transaction; while overflow exists
     * after a shrink, every slot this freed below the capacity takes one in.
     */
    static void freeSlotsOf(Store store, Connection c, String resourceId, long capacity, long reservationId,
                            long quantity) throws SQLException {
        // deleted by reservation, not by slot number: a concurrent release may have moved one of them
        List<Long> freed = store.slots.deleteOf(c, reservationId, quantity);
        if (store.slots.highestFrom(c, resourceId, capacity).isPresent()) {
            // overflow exists after a shrink: every slot this freed below the capacity takes one in
            for (long slot : freed) {
                if (slot < capacity) {
                    moveOverflowInto(store, c, resourceId, capacity, slot);
                }
            }
        }
    }

    /** Moves the highest overflow slot to {@code free}, trying the next if a concurrent release took it. */
    private static void moveOverflowInto(Store store, Connection c, String resourceId, long capacity, long free) throws SQLException {
        for (;;) {
            OptionalLong overflow = store.slots.highestFrom(c, resourceId, capacity);
            if (overflow.isEmpty() || store.slots.move(c, resourceId, overflow.getAsLong(), free)) {
                return;
            }
        }
    }

    @Override
    void resizeIn(Store store, Connection c, String resourceId, long newCapacity) throws SQLException {
        setCapacity(store, c, resourceId, lockForResize(store, c, resourceId), newCapacity);
    }

    @Override
    long adjustIn(Store store, Connection c, String resourceId, long delta) throws SQLException {
        ResourceRow row = lockForResize(store, c, resourceId);
        long capacity = CapacityMath.adjusted(resourceId, row.capacity(), delta);
        setCapacity(store, c, resourceId, row, capacity);
        return capacity;
    }

    /** Takes the exclusive lock that waits for every reserve and release in flight; the row it locked. */
    private ResourceRow lockForResize(Store store, Connection c, String resourceId) throws SQLException {
        ResourceRow row = store.resources.lock(c, resourceId)
                .orElseThrow(() -> new IllegalArgumentException("resourceId '" + resourceId + "' is not defined"));
        requireFamily(row.family(), resourceId);
        return row;
    }

    /**
     * Sets the capacity of the locked {@code row} of {@code resourceId} and moves overflow slots below it, as far as
     * there is room. A growth clears the sold-out mark (back in stock); a shrink of a resource
     * marked sold out leaves it marked, as it is still full.
     */
    private static void setCapacity(Store store, Connection c, String resourceId, ResourceRow row, long newCapacity)
            throws SQLException {
        store.resources.setCapacity(c, resourceId, newCapacity);
        if (row.soldOut() && newCapacity > row.capacity()) {
            AfterCommit.stock(resourceId, 0, 1);
        }
        moveOverflowBelow(store, c, resourceId, newCapacity);
    }

    /**
     * Moves slots at or above {@code capacity}, highest first, into free slots below it, as far
     * as there is room; how many it moved. The caller holds the exclusive lock on the resource.
     */
    static int moveOverflowBelow(Store store, Connection c, String resourceId, long capacity) throws SQLException {
        List<Long> overflow = store.slots.from(c, resourceId, capacity);
        if (overflow.isEmpty()) {
            return 0;
        }
        SlotWalk walk = new SlotWalk(store, c, resourceId, 0, capacity);
        int moved = 0;
        for (long slot : overflow) {
            List<Long> free = walk.next(1);
            if (free.isEmpty()) {
                break;
            }
            store.slots.move(c, resourceId, slot, free.get(0));
            moved++;
        }
        return moved;
    }
}
