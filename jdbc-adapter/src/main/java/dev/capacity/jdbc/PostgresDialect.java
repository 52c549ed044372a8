package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

/**
 * PostgreSQL: {@code RETURNING}, {@code ON CONFLICT DO NOTHING} (a unique violation would abort
 * the transaction), a lock wait bounded by {@code SET LOCAL lock_timeout} sent with the locking
 * read, the shared row lock {@code FOR KEY SHARE}, and rows in bulk from arrays in one
 * statement. Concurrent installers take an advisory lock.
 */
final class PostgresDialect extends Dialect {

    static final PostgresDialect INSTANCE = new PostgresDialect();

    private PostgresDialect() {}

    @Override
    String updateReturning(String update, String columns) {
        return update + " RETURNING " + columns;
    }

    @Override
    String deleteReturning(String delete, String columns) {
        return delete + " RETURNING " + columns;
    }

    @Override
    String insertUnlessDuplicate(String insert, String key) {
        return insert + " ON CONFLICT (" + key + ") DO NOTHING";
    }

    /** Two statements, one round trip; the timeout holds for the rest of the transaction. */
    @Override
    String lockForUpdate(String select, long timeoutMillis) {
        return "SET LOCAL lock_timeout = '" + timeoutMillis + "ms'; " + select + " FOR UPDATE";
    }

    /** {@code FOR NO KEY UPDATE}, the lock of an UPDATE that changes no key: it does not wait for reserves' {@code FOR KEY SHARE}. */
    @Override
    String lockAsUpdate(String select, long timeoutMillis) {
        return "SET LOCAL lock_timeout = '" + timeoutMillis + "ms'; " + select + " FOR NO KEY UPDATE";
    }

    /** {@code FOR KEY SHARE}: reserves of one resource do not wait for each other, only for a resize. */
    @Override
    String lockShared(String select, long timeoutMillis) {
        return select + " FOR KEY SHARE";
    }

    /** {@code FOR SHARE}: releases do not wait for each other or for reserves, and an UPDATE of the row waits for them. */
    @Override
    String lockSharedAgainstUpdates(String select, long timeoutMillis) {
        return select + " FOR SHARE";
    }

    @Override
    String readLockTimeout() {
        return "SELECT current_setting('lock_timeout')";
    }

    @Override
    String restoreLockTimeout() {
        return "SELECT set_config('lock_timeout', ?, true)";
    }

    /**
     * The partial holds index leaves permanent rows out, so lookups by resource need an index of
     * their own; a sweep finds the expired holds of every resource by a partial index on expiry.
     */
    @Override
    List<String> moreReservationIndexes(String reservationTable, String unendedHolds) {
        return List.of(
                "CREATE INDEX IF NOT EXISTS " + reservationTable + "_resource ON " + reservationTable + " (resource_id)",
                "CREATE INDEX IF NOT EXISTS " + reservationTable + "_expiry ON " + reservationTable + " (expires_at)"
                        + partialIndex(unendedHolds));
    }

    @Override
    String partialIndex(String condition) {
        return " WHERE " + condition;
    }

    /** Half-empty pages leave room for HOT updates of the hot counter rows. */
    @Override
    String resourceTableOptions() {
        return " WITH (fillfactor = 50)";
    }

    @Override
    String insertReservations(String reservationTable, String insertOne) {
        return "INSERT INTO " + reservationTable + " (resource_id, holder_id, quantity, idempotency_key, created_at,"
                + " expires_at) SELECT ?, u.h, u.q, u.k, ?, u.e"
                + " FROM unnest(?::varchar[], ?::int[], ?::varchar[], ?::varchar[]::timestamptz[]) AS u(h, q, k, e)"
                + " RETURNING id, holder_id, quantity, idempotency_key, expires_at";
    }

    @Override
    String insertSlots(String slotTable, String insertOne) {
        return "INSERT INTO " + slotTable + " (resource_id, slot, reservation_id)"
                + " SELECT ?, u.slot, ? FROM unnest(?::bigint[]) AS u(slot) ON CONFLICT DO NOTHING";
    }

    /** Names the column, so that pgjdbc appends {@code RETURNING id} rather than {@code RETURNING *}. */
    @Override
    PreparedStatement prepareReturningId(Connection c, String insert) throws SQLException {
        return c.prepareStatement(insert, new String[] {"id"});
    }

    /** ON CONFLICT already wrote nothing for a taken key. */
    @Override
    int insertUnlessDuplicate(Connection c, String statement, Jdbc.Binder binder) throws SQLException {
        return Jdbc.update(c, statement, binder);
    }

    /** One statement from arrays; its rows are matched to the requests by what they hold ({@link #idsByContent}). */
    @Override
    long[] insertReservations(Connection c, Sql sql, List<ReservationRequest> requests, Instant createdAt,
                              List<Instant> expiries) throws SQLException {
        int n = requests.size();
        String[] holders = new String[n];
        Integer[] quantities = new Integer[n];
        String[] keys = new String[n];
        String[] expiryTexts = new String[n];
        for (int i = 0; i < n; i++) {
            ReservationRequest request = requests.get(i);
            holders[i] = request.holderId();
            quantities[i] = request.quantity();
            keys[i] = request.idempotencyKey();
            Instant expiry = expiries.get(i);
            expiryTexts[i] = expiry == null ? null : expiry.toString();
        }
        Array holderArray = c.createArrayOf("varchar", holders);
        Array quantityArray = c.createArrayOf("int4", quantities);
        Array keyArray = c.createArrayOf("varchar", keys);
        Array expiryArray = c.createArrayOf("varchar", expiryTexts);
        try (PreparedStatement s = c.prepareStatement(sql.insertReservations)) {
            s.setString(1, requests.get(0).resourceId());
            s.setObject(2, Jdbc.timestamp(createdAt));
            s.setArray(3, holderArray);
            s.setArray(4, quantityArray);
            s.setArray(5, keyArray);
            s.setArray(6, expiryArray);
            try (ResultSet rs = s.executeQuery()) {
                return idsByContent(rs, requests, expiries);
            }
        } finally {
            holderArray.free();
            quantityArray.free();
            keyArray.free();
            expiryArray.free();
        }
    }

    @Override
    String holdersAmong(String holderTable) {
        return "SELECT holder_id, units FROM " + holderTable + " WHERE holder_id = ANY(?) AND resource_id = ?";
    }

    /** {@code ON CONFLICT ... DO UPDATE} inserts or updates atomically, whoever else is inserting the row. */
    @Override
    String holderTake(String holderTable) {
        return "INSERT INTO " + holderTable + " AS h (resource_id, holder_id, units) VALUES (?, ?, ?)"
                + " ON CONFLICT (resource_id, holder_id) DO UPDATE SET units = h.units + EXCLUDED.units"
                + " WHERE h.units <= ? - EXCLUDED.units";
    }

    @Override
    String holdersAddAllOrNone(String holderTable) {
        return "INSERT INTO " + holderTable + " AS h (resource_id, holder_id, units)"
                + " SELECT ?, a.holder_id, a.units FROM unnest(?::varchar[], ?::bigint[]) AS a(holder_id, units)"
                + " WHERE NOT EXISTS (SELECT 1 FROM unnest(?::varchar[], ?::bigint[]) AS b(holder_id, units)"
                + "   WHERE b.units > ? - COALESCE((SELECT o.units FROM " + holderTable + " o"
                + "     WHERE o.resource_id = ? AND o.holder_id = b.holder_id), 0))"
                + " ON CONFLICT (resource_id, holder_id) DO UPDATE SET units = h.units + EXCLUDED.units";
    }

    @Override
    String holdersAddAll(String holderTable) {
        return "INSERT INTO " + holderTable + " AS h (resource_id, holder_id, units)"
                + " SELECT ?, a.holder_id, a.units FROM unnest(?::varchar[], ?::bigint[]) AS a(holder_id, units)"
                + " WHERE a.units <= ?"
                + " ON CONFLICT (resource_id, holder_id) DO UPDATE SET units = h.units + EXCLUDED.units"
                + " WHERE h.units <= ? - EXCLUDED.units";
    }

    /**
     * One statement from an array, not a JDBC batch: pgjdbc turns a connection lost mid-batch
     * into an AssertionError when assertions are on (pgjdbc issue 1458).
     */
    @Override
    int insertSlots(Connection c, Sql sql, String resourceId, List<Long> slots, long reservationId) throws SQLException {
        Array array = c.createArrayOf("bigint", slots.toArray());
        try (PreparedStatement s = c.prepareStatement(sql.insertSlots)) {
            s.setString(1, resourceId);
            s.setLong(2, reservationId);
            s.setArray(3, array);
            return s.executeUpdate();
        } finally {
            array.free();
        }
    }

    /** Under a lock for the rest of the transaction: concurrent {@code CREATE ... IF NOT EXISTS} can collide in the catalog. */
    @Override
    void install(Connection c, Sql sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + ("capacity schema " + sql.resourceTable).hashCode() + ")");
            for (String statement : sql.ddl()) {
                s.execute(statement);
            }
        }
    }

    @Override
    String product() {
        return "PostgreSQL";
    }
}
