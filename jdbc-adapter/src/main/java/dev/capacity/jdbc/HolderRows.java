package dev.capacity.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The statements on the holder table: each holder's live units on a resource with a per-holder
 * limit, one row a holder. A transaction changes a holder's row only after it took the resource
 * row's lock (or guarded update), so rows are locked in one order everywhere.
 *
 * <p>This class is immutable and threadsafe.
 */
final class HolderRows {

    private final Sql sql;

    HolderRows(Sql sql) {
        this.sql = sql;
    }

    /**
     * Adds {@code units} to the holder's live units if the sum stays within {@code limit}; false
     * if it would not. A row another transaction is inserting is waited for, never doubled.
     */
    boolean take(Connection c, String resourceId, String holderId, long units, long limit) throws SQLException {
        if (units > limit) {
            return false;
        }
        if (sql.holderTake != null) {
            return Jdbc.update(c, sql.holderTake, resourceId, holderId, units, limit) == 1;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            if (Jdbc.update(c, sql.holderAdd, units, resourceId, holderId, limit, units) == 1) {
                return true;
            }
            if (sql.dialect.insertUnlessDuplicate(c, sql.holderInsert, Jdbc.parameters(resourceId, holderId, units)) == 1) {
                return true;
            }
            // the row exists: either over the limit, or it was inserted meanwhile; the update says which
        }
        return false;
    }

    /** The units recorded for each of {@code holders} that has a row, zero included. */
    Map<String, Long> unitsOf(Connection c, String resourceId, Collection<String> holders) throws SQLException {
        return sql.dialect.holderUnits(c, sql, resourceId, holders);
    }

    /**
     * Adds each holder's {@code added} units, the rows read before as {@code before} (a holder
     * without a row gets one); whether every sum stayed within {@code limit}. Call it under the
     * resource row's lock; false means the rows changed meanwhile and the transaction must not
     * commit.
     */
    boolean addAll(Connection c, String resourceId, Map<String, Long> before, Map<String, Long> added, long limit)
            throws SQLException {
        return added.isEmpty() || sql.dialect.addHolderUnits(c, sql, resourceId, before, added, limit);
    }

    /** Whether {@link #addAllOrNone} can be asked on this database. */
    boolean addsAllOrNone() {
        return sql.holdersAddAllOrNone != null || sql.holdersAddAll != null;
    }

    /**
     * Adds each holder's {@code added} units if every holder's sum stays within {@code limit}
     * (rows inserted where missing); whether it did: nothing is written if not. Call it under the
     * resource row's lock, and only if {@link #addsAllOrNone}. Where the database has no single
     * statement for all or none, the statement that adds each holder's units that fit runs under
     * a savepoint, rolled back to if a holder's did not.
     */
    boolean addAllOrNone(Connection c, String resourceId, Map<String, Long> added, long limit) throws SQLException {
        if (sql.holdersAddAllOrNone != null) {
            return sql.dialect.addHolderUnitsOrNone(c, sql, resourceId, added, limit);
        }
        Savepoint before = c.setSavepoint();
        if (sql.dialect.addHolderUnits(c, sql, resourceId, Map.of(), added, limit)) {
            c.releaseSavepoint(before);
            return true;
        }
        c.rollback(before);
        return false;
    }

    /** Takes {@code units} off the holder's live units. */
    void give(Connection c, String resourceId, String holderId, long units) throws SQLException {
        // on a limited resource every holder with live units has its row: one that did not change is a lost write
        Jdbc.updateExactly(c, 1, "giving back " + holderId + "'s " + units + " units of " + resourceId, sql.holderGive,
                units, resourceId, holderId);
    }

    /** Counts every holder's live units from the reservations, for a resource that has just been limited. */
    void rebuild(Connection c, String resourceId) throws SQLException {
        drop(c, resourceId);
        Jdbc.update(c, sql.holderRebuild, resourceId);
    }

    void drop(Connection c, String resourceId) throws SQLException {
        Jdbc.update(c, sql.holderDrop, resourceId);
    }

    /** The holders' recorded units, by holder (holders at zero left out). */
    Map<String, Long> recorded(Connection c, String resourceId) throws SQLException {
        return byHolder(c, sql.holdersOf, resourceId);
    }

    /** The holders' live units as the reservations add them up, by holder. */
    Map<String, Long> counted(Connection c, String resourceId) throws SQLException {
        return byHolder(c, sql.liveUnitsByHolder, resourceId);
    }

    private static Map<String, Long> byHolder(Connection c, String statement, String resourceId) throws SQLException {
        Map<String, Long> units = new LinkedHashMap<>();
        for (Object[] row : Jdbc.list(c, statement, rs -> new Object[] {rs.getString(1), rs.getLong(2)}, resourceId)) {
            units.put((String) row[0], (Long) row[1]);
        }
        return units;
    }
}
