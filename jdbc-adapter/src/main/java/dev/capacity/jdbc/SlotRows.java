package dev.capacity.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransactionRollbackException;
import java.util.List;
import java.util.OptionalLong;

/**
 * The statements on the slot table of the unique-slots family, one method each; transactions
 * belong to the caller.
 *
 * <p>This class is immutable and threadsafe.
 */
final class SlotRows {

    private final Sql sql;

    SlotRows(Sql sql) {
        this.sql = sql;
    }

    /** Up to {@code limit} occupied slots in {@code [from, to)}, ascending (committed, or written by this transaction). */
    List<Long> occupied(Connection c, String resourceId, long from, long to, int limit) throws SQLException {
        return Jdbc.longs(c, sql.occupiedSlots, resourceId, from, to, limit);
    }

    /**
     * Takes the given slots for a reservation where they are free; the number taken. A slot held
     * by a transaction in flight is waited for; one taken meanwhile is skipped, never an error.
     */
    int insert(Connection c, String resourceId, List<Long> slots, long reservationId) throws SQLException {
        return sql.dialect.insertSlots(c, sql, resourceId, slots, reservationId);
    }

    long countBelow(Connection c, String resourceId, long to) throws SQLException {
        return Jdbc.oneLong(c, sql.countSlotsBelow, resourceId, to).orElse(0);
    }

    OptionalLong highestFrom(Connection c, String resourceId, long from) throws SQLException {
        return Jdbc.oneLong(c, sql.highestSlotFrom, resourceId, from);
    }

    /** Every slot at or above {@code from}, highest first. */
    List<Long> from(Connection c, String resourceId, long from) throws SQLException {
        return Jdbc.longs(c, sql.slotsFrom, resourceId, from);
    }

    /**
     * Deletes the slots of a reservation, wherever they are now (a concurrent release may just
     * have moved one), and returns the slots it freed.
     */
    List<Long> deleteOf(Connection c, long reservationId, long quantity) throws SQLException {
        if (sql.lockSlotsOf == null) {
            List<Long> deleted = Jdbc.longs(c, sql.deleteSlotsOf, reservationId);
            if (deleted.size() != quantity) {
                // a reservation holds one slot per unit until it ends: fewer deleted is a lost write
                throw Jdbc.lostWrite("freeing the slots of reservation " + reservationId, quantity, deleted.size());
            }
            return deleted;
        }
        // no DELETE ... RETURNING: the slots read under their locks are the ones the delete finds
        List<Long> slots = Jdbc.longs(c, sql.lockSlotsOf, reservationId);
        int deleted = Jdbc.update(c, sql.deleteSlotsOf, reservationId);
        if (slots.size() != quantity) {
            throw Jdbc.lostWrite("locking the slots of reservation " + reservationId, quantity, slots.size());
        }
        if (deleted != slots.size()) {
            throw new SQLTransactionRollbackException("the slots of reservation " + reservationId + " changed between"
                    + " their locked read (" + slots.size() + ") and their delete (" + deleted + ")", "40001");
        }
        return slots;
    }

    /** Moves the slot at {@code from} to {@code to}; false if no slot was at {@code from} any more. */
    boolean move(Connection c, String resourceId, long from, long to) throws SQLException {
        return Jdbc.update(c, sql.moveSlot, to, resourceId, from) == 1;
    }

    /** The slots a reservation holds in a resource, highest first. */
    List<Long> ofReservation(Connection c, String resourceId, long reservationId) throws SQLException {
        return Jdbc.longs(c, sql.slotsOfReservation, resourceId, reservationId);
    }

    boolean delete(Connection c, String resourceId, long slot) throws SQLException {
        return Jdbc.update(c, sql.deleteSlot, resourceId, slot) == 1;
    }

    /** Deletes the resource's slots that no unreleased reservation of it holds; how many. */
    int deleteOrphans(Connection c, String resourceId) throws SQLException {
        return Jdbc.update(c, sql.deleteOrphanSlots, resourceId);
    }
}
