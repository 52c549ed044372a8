package dev.capacity.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Ends the holds of a resource that have expired and that nothing has ended yet, returning their
 * units as their family keeps them: for a reservation that needs the room, a sweep, a repair.
 * A hold that another transaction has locked (ending, confirming or extending it) is skipped, not
 * waited for, so a reclaim never deadlocks with them; each hold ends exactly once either way.
 */
final class ExpiredHolds {

    /** How many expired holds of a resource one statement ends. */
    private static final int BATCH = 1000;

    private ExpiredHolds() {}

    /**
     * Reclaims the resource's holds expired at {@code now}; the units that came back. Each hold
     * ended is given to {@code ended} by its id.
     */
    static long reclaim(Store store, Connection c, String resourceId, String family, Instant now, LongConsumer ended)
            throws SQLException {
        long units = 0;
        for (;;) {
            List<ReservationRows.ExpiredHold> holds = store.reservations.lockExpired(c, resourceId, now, BATCH);
            if (holds.isEmpty()) {
                return units;
            }
            store.reservations.expireAll(c, holds, now);
            long batch = 0;
            for (ReservationRows.ExpiredHold hold : holds) {
                batch += hold.quantity();
                ended.accept(hold.id());
            }
            long holderLimit;
            if (Sql.SLOTS.equals(family)) {
                ResourceRow row = UniqueSlotsStrategy.freeing(store, c, resourceId);
                for (ReservationRows.ExpiredHold hold : holds) {
                    UniqueSlotsStrategy.freeSlotsOf(store, c, resourceId, row.capacity(), hold.id(), hold.quantity());
                }
                holderLimit = row.holderLimit();
            } else {
                holderLimit = store.resources.decrement(c, resourceId, batch);
            }
            if (holderLimit != Long.MAX_VALUE) {
                for (ReservationRows.ExpiredHold hold : holds) {
                    store.holders.give(c, resourceId, hold.holderId(), hold.quantity());
                }
            }
            units += batch;
            if (holds.size() < BATCH) {
                return units;
            }
        }
    }
}
