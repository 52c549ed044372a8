package dev.capacity.jdbc;

import dev.capacity.Availability;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The statements on the resource table, one method each; transactions belong to the caller.
 *
 * <p>This class is immutable and threadsafe.
 */
final class ResourceRows {

    private final Sql sql;

    ResourceRows(Sql sql) {
        this.sql = sql;
    }

    /** Inserts the resource unless one with that id exists; true if inserted. */
    boolean insert(Connection c, String id, String family, long capacity) throws SQLException {
        return sql.dialect.insertUnlessDuplicate(c, sql.insertResource, Jdbc.parameters(id, family, capacity)) == 1;
    }

    Optional<ResourceRow> select(Connection c, String id) throws SQLException {
        return Jdbc.one(c, sql.selectResource, ResourceRows::row, id);
    }

    /** Reads the resource under an exclusive row lock, waiting at most the lock timeout. */
    Optional<ResourceRow> lock(Connection c, String id) throws SQLException {
        return Jdbc.lastQuery(c, sql.lockResource, ResourceRows::row, id);
    }

    /**
     * {@link #lock}, leaving the transaction's lock timeout as it found it: for a transaction
     * that is the caller's and goes on after the lock is taken.
     */
    Optional<ResourceRow> lockKeepingSettings(Connection c, String id) throws SQLException {
        String read = sql.dialect.readLockTimeout();
        if (read == null) {
            return lock(c, id);
        }
        String previous = Jdbc.one(c, read, rs -> rs.getString(1)).orElseThrow();
        Optional<ResourceRow> row = lock(c, id);
        Jdbc.one(c, sql.dialect.restoreLockTimeout(), rs -> rs.getString(1), previous);
        return row;
    }

    /**
     * Reads the resource under a row lock that other holders of this lock share and that
     * {@link #lock} excludes (exclusive where the database has no shared row lock).
     */
    Optional<ResourceRow> share(Connection c, String id) throws SQLException {
        return Jdbc.lastQuery(c, sql.shareResource, ResourceRows::row, id);
    }

    /**
     * {@link #share}, in a mode that {@link #markSoldOut} waits for (and that waits for it): what
     * a transaction that frees slots holds.
     */
    Optional<ResourceRow> shareAgainstMarks(Connection c, String id) throws SQLException {
        return Jdbc.lastQuery(c, sql.shareResourceAgainstMarks, ResourceRows::row, id);
    }

    /** The row, locked as an UPDATE of it would lock it, waiting at most the lock timeout. */
    Optional<ResourceRow> lockAsUpdate(Connection c, String id) throws SQLException {
        return Jdbc.lastQuery(c, sql.lockResourceAsUpdate, ResourceRows::row, id);
    }

    /** Marks a slots resource sold out, taking the row's update lock; false if it was marked already. */
    boolean markSoldOut(Connection c, String id) throws SQLException {
        if (Jdbc.update(c, sql.markSoldOut, id) != 1) {
            return false;
        }
        // unique-slots keeps no counter: its sell-out is the mark
        AfterCommit.stock(id, 1, 0);
        return true;
    }

    /**
     * Whether the resource is marked sold out while no hold of it has expired at {@code now}
     * unended, read in one snapshot: a refusal on the mark is right only if both hold at one
     * moment (a transaction that ends the expired holds frees their slots and clears the mark).
     */
    boolean soldOutAndNoneExpired(Connection c, String id, Instant now) throws SQLException {
        return Jdbc.one(c, sql.soldOutAndNoneExpired, rs -> rs.getBoolean(1), id, sql.dialect.timestamp(now), id).orElse(false);
    }

    /**
     * Clears a resource's sold-out mark if a plain read sees it, taking the row's update lock only
     * then: InnoDB locks a row that an UPDATE finds by its key even when the rest of the WHERE
     * rejects it, which would make every release wait for the reserves in flight.
     */
    void clearSoldOut(Connection c, String id) throws SQLException {
        if (Jdbc.one(c, sql.isSoldOut, rs -> rs.getBoolean(1), id).orElse(false) && Jdbc.update(c, sql.clearSoldOut, id) == 1) {
            AfterCommit.stock(id, 0, 1);
        }
    }

    /**
     * The resource's availability at {@code now}, read in one statement: holds expired at
     * {@code now} count as free whether or not anything ended them yet.
     */
    Optional<Availability> availability(Connection c, String id, Instant now) throws SQLException {
        Object at = sql.dialect.timestamp(now);
        return Jdbc.one(c, sql.availability, rs -> {
            long expired = rs.getLong(4);
            return new Availability(id, rs.getLong(2), rs.getLong(3) - expired, rs.getLong(5));
        }, id, id, at, id, at, id);
    }

    /** Sets a counter resource's capacity; false if there is no counter resource of that id. */
    boolean resizeCounter(Connection c, String id, long capacity) throws SQLException {
        return Jdbc.update(c, sql.resizeCounter, capacity, id) == 1;
    }

    /** Adds {@code delta} to a counter resource's capacity if the result stays in range; the new capacity. */
    OptionalLong adjustCounter(Connection c, String id, long delta) throws SQLException {
        if (delta == Long.MIN_VALUE) {
            // no capacity can take it, and -delta has no long to bind: the caller reads the row and says why
            return OptionalLong.empty();
        }
        Object[] parameters = {delta, id, delta < 0 ? -delta : 0, delta > 0 ? Long.MAX_VALUE - delta : Long.MAX_VALUE};
        if (sql.adjustedCapacity == null) {
            return Jdbc.oneLong(c, sql.adjustCounter, parameters);
        }
        return Jdbc.update(c, sql.adjustCounter, parameters) == 0 ? OptionalLong.empty()
                : Jdbc.oneLong(c, sql.adjustedCapacity, id);
    }

    void setCapacity(Connection c, String id, long capacity) throws SQLException {
        Jdbc.update(c, sql.setCapacity, capacity, capacity, id);
    }

    /** What a guarded increment leaves: the units left, and the resource's per-holder limit. */
    record Guarded(long left, long holderLimit) {}

    /** The guarded increment; what it leaves, or empty if it did not fit (or no counter resource). */
    Optional<Guarded> conditionalIncrement(Connection c, String id, long quantity) throws SQLException {
        // bound by type, not through Jdbc.parameters: this is every counter reservation's statement
        try (PreparedStatement s = c.prepareStatement(sql.conditionalIncrement)) {
            s.setLong(1, quantity);
            s.setString(2, id);
            s.setLong(3, quantity);
            Optional<Guarded> taken;
            if (sql.incrementedLeft != null) {
                taken = s.executeUpdate() == 0 ? Optional.empty()
                        : Jdbc.one(c, sql.incrementedLeft, ResourceRows::guarded, id);
            } else {
                try (ResultSet rs = s.executeQuery()) {
                    taken = rs.next() ? Optional.of(guarded(rs)) : Optional.empty();
                }
            }
            taken.ifPresent(guarded -> AfterCommit.stock(id, guarded.left() + quantity, guarded.left()));
            return taken;
        }
    }

    private static Guarded guarded(ResultSet rs) throws SQLException {
        return new Guarded(rs.getLong(1), limit(rs, 2));
    }

    /**
     * The increment if the version is still {@code version}, with {@code available} units before
     * it; false if someone changed the row.
     */
    boolean versionedIncrement(Connection c, String id, long quantity, long version, long available) throws SQLException {
        if (Jdbc.update(c, sql.versionedIncrement, quantity, id, version) != 1) {
            return false;
        }
        AfterCommit.stock(id, available, available - quantity);
        return true;
    }

    /** Takes {@code quantity} units of a row this transaction has locked, with {@code available} units before. */
    void increment(Connection c, String id, long quantity, long available) throws SQLException {
        // under the row's lock, after the decision: a counter that did not change is a lost write
        Jdbc.updateExactly(c, 1, "taking " + quantity + " units of " + id, sql.increment, quantity, id);
        AfterCommit.stock(id, available, available - quantity);
    }

    /** Returns units to the counter; the resource's per-holder limit ({@link Long#MAX_VALUE}: none). */
    long decrement(Connection c, String id, long quantity) throws SQLException {
        // the resource row exists (the reservation is of it): a counter that did not change is a lost write
        Optional<long[]> after;
        if (sql.decrementedLimit != null) {
            Jdbc.updateExactly(c, 1, "returning " + quantity + " units to " + id, sql.decrement, quantity, id);
            after = Jdbc.one(c, sql.decrementedLimit, rs -> new long[] {limit(rs, 1), rs.getLong(2)}, id);
        } else {
            after = Jdbc.one(c, sql.decrement, rs -> new long[] {limit(rs, 1), rs.getLong(2)}, quantity, id);
        }
        if (after.isEmpty()) {
            throw Jdbc.lostWrite("returning " + quantity + " units to " + id, 1, 0);
        }
        AfterCommit.stock(id, after.get()[1] - quantity, after.get()[1]);
        return after.get()[0];
    }

    /** Sets the per-holder limit; {@link Long#MAX_VALUE} removes it. */
    void setHolderLimit(Connection c, String id, long limit) throws SQLException {
        Jdbc.update(c, sql.setHolderLimit, limit == Long.MAX_VALUE ? null : limit, id);
    }

    /** Sets the reserved counter outright, from {@code before} to {@code reserved} of {@code capacity}: for a repair, under the row's lock. */
    void setReserved(Connection c, String id, long capacity, long before, long reserved) throws SQLException {
        Jdbc.update(c, sql.setReserved, reserved, id);
        AfterCommit.stock(id, capacity - before, capacity - reserved);
    }

    private static ResourceRow row(ResultSet rs) throws SQLException {
        return new ResourceRow(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), limit(rs, 5),
                rs.getBoolean(6));
    }

    /** A per-holder limit column: {@link Long#MAX_VALUE} when null (no limit). */
    private static long limit(ResultSet rs, int column) throws SQLException {
        long limit = rs.getLong(column);
        return rs.wasNull() ? Long.MAX_VALUE : limit;
    }
}
