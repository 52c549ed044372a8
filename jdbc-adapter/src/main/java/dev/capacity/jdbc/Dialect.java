package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;
import dev.capacity.internal.RetryBudget;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * What differs between the databases the adapter speaks to: a few pieces of syntax that
 * {@link Sql} composes its statements from, column types, and how rows go in by the batch. The
 * base class says what most databases share; a subclass per database overrides only what
 * differs, so another database is one more subclass.
 *
 * <p>Subclasses are stateless and threadsafe.
 */
abstract class Dialect {

    /** How many times an installer tries a DDL statement that a concurrent installer may collide with. */
    private static final int DDL_ATTEMPTS = 10;

    /** The dialect of the database behind {@code connection}. */
    static Dialect detect(Connection connection) throws SQLException {
        String product = connection.getMetaData().getDatabaseProductName();
        String normalized = product == null ? "" : product.toLowerCase(Locale.ROOT);
        if (normalized.contains("postgresql")) {
            return PostgresDialect.INSTANCE;
        }
        if (normalized.equals("h2")) {
            return H2Dialect.INSTANCE;
        }
        if (normalized.contains("mariadb")) {
            return MariaDbDialect.isGalera(connection) ? MariaDbDialect.GALERA : MariaDbDialect.MARIADB;
        }
        if (normalized.contains("mysql")) {
            return MariaDbDialect.MYSQL;
        }
        throw new UnsupportedOperationException("capacity supports H2, PostgreSQL, MariaDB and MySQL, not " + product);
    }

    // ---- syntax

    /**
     * An UPDATE that returns {@code columns} of the rows it changed, as a query; or null where the
     * database has no such statement: then the update runs as it is and {@link Sql} reads the
     * changed row back in the same transaction, which holds its lock.
     */
    abstract String updateReturning(String update, String columns);

    /**
     * A DELETE that returns {@code columns} of the rows it deleted, as a query; or null where the
     * database has no such statement (then the rows are read under a lock and deleted).
     */
    abstract String deleteReturning(String delete, String columns);

    /** Whether statements take arrays as parameters ({@code = ANY(?)}); if not, they take a list of parameters. */
    boolean hasArrays() {
        return true;
    }

    /**
     * The isolation level the adapter's own transactions run at ({@link Transactions#CONNECTION_ISOLATION}:
     * the connection's), and the highest a caller's transaction may have for a call to join it.
     */
    int isolation() {
        return Transactions.CONNECTION_ISOLATION;
    }

    /**
     * Whether a deadlock rolls back the whole transaction rather than the statement that lost it:
     * then a caller's transaction cannot be kept usable after one, and a joined call says so.
     */
    boolean deadlockEndsTransaction() {
        return false;
    }

    /**
     * An INSERT that writes nothing when a row with the same {@code key} exists. Here the
     * statement raises a unique violation that leaves the transaction usable, and
     * {@link #insertUnlessDuplicate(Connection, String, Jdbc.Binder)} turns it into 0 rows.
     */
    String insertUnlessDuplicate(String insert, String key) {
        return insert;
    }

    /** A SELECT that locks its row exclusively, giving up after {@code timeoutMillis}. */
    abstract String lockForUpdate(String select, long timeoutMillis);

    /**
     * A SELECT that locks its row in a mode that other holders of this mode share and that
     * {@link #lockForUpdate} excludes. Here there is no such mode, so it is the exclusive lock.
     */
    String lockShared(String select, long timeoutMillis) {
        return lockForUpdate(select, timeoutMillis);
    }

    /**
     * A SELECT that locks its row as an UPDATE of it would, waiting at most {@code timeoutMillis}:
     * for every holder of {@link #lockSharedAgainstUpdates}, not necessarily for holders of
     * {@link #lockShared}. Here the exclusive lock.
     */
    String lockAsUpdate(String select, long timeoutMillis) {
        return lockForUpdate(select, timeoutMillis);
    }

    /**
     * A SELECT that locks its row in a mode that other holders of this mode and of
     * {@link #lockShared} share, and that an UPDATE of the row waits for: what a release of slots
     * holds, so that a refusal marking the resource sold out waits for the releases in flight.
     * Here the shared lock is already such a mode.
     */
    String lockSharedAgainstUpdates(String select, long timeoutMillis) {
        return lockShared(select, timeoutMillis);
    }

    /**
     * Whether unique-slots marks a resource sold out (see {@code UniqueSlotsStrategy}): only where
     * a row lock taken on one connection holds against every other, which a multi-primary
     * cluster's local locks do not.
     */
    boolean marksSoldOut() {
        return true;
    }

    /**
     * A query for the transaction's lock timeout where {@link #lockForUpdate} changes it for the
     * rest of the transaction, so that a caller's transaction can have it back; null where the
     * timeout travels with the locking statement alone.
     */
    String readLockTimeout() {
        return null;
    }

    /** The query that sets the lock timeout read by {@link #readLockTimeout()} back (one parameter). */
    String restoreLockTimeout() {
        return null;
    }

    /**
     * The statement that inserts reservation rows in bulk (see {@link #insertReservations(Connection, Sql, List, Instant, List)});
     * here the plain insert of one row, run as a batch.
     */
    String insertReservations(String reservationTable, String insertOne) {
        return insertOne;
    }

    /**
     * The statement that takes slots in bulk (see {@link #insertSlots(Connection, Sql, String, List, long)});
     * here the insert of one slot, run once per slot.
     */
    String insertSlots(String slotTable, String insertOne) {
        return insertOne;
    }

    /**
     * The prefix as the tables' names carry it. Here as given: the database folds unquoted
     * names to one case, so 'Capacity_' and 'capacity_' name the same tables.
     */
    String tablePrefix(String prefix) {
        return prefix;
    }

    // ---- columns

    /** The type of an id column: up to 200 code points ({@code Arguments.MAX_ID_LENGTH}). */
    String idType() {
        return "VARCHAR(200)";
    }

    /** The type of an instant's column, with at least microseconds. */
    String timestampType() {
        return "TIMESTAMP WITH TIME ZONE";
    }

    /** The reservation id's column: a generated BIGINT primary key. */
    String generatedIdColumn() {
        return "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
    }

    /** What follows every table's definition. */
    String tableOptions() {
        return "";
    }

    /**
     * Whether the tables may have been made by 0.1 and are brought up to date with
     * {@code ALTER TABLE ... ADD COLUMN IF NOT EXISTS}. False for databases 0.1 did not support.
     */
    boolean upgradesTablesOf01() {
        return true;
    }

    /**
     * Whether the secondary indexes are part of {@code CREATE TABLE} rather than statements of
     * their own ({@code CREATE INDEX IF NOT EXISTS}, which MySQL lacks).
     */
    boolean indexesInTable() {
        return false;
    }

    // ---- values

    /** An instant as a statement parameter. Here an {@link OffsetDateTime} at UTC, for a column with a time zone. */
    Object timestamp(Instant instant) {
        return Jdbc.timestamp(instant);
    }

    /** The instant in {@code column} of the row, or null. */
    Instant instant(ResultSet rs, int column) throws SQLException {
        return Jdbc.instant(rs, column);
    }

    /**
     * The reservation table's indexes beside the holds index. Here none: without partial indexes,
     * the holds index on {@code (resource_id, expires_at)} also serves every lookup by resource,
     * so a reservation maintains one index, as in 0.1 (tables made by 0.1 keep their
     * {@code _resource} index too). A sweep then reads the whole table, which is housekeeping.
     */
    List<String> moreReservationIndexes(String reservationTable, String unendedHolds) {
        return List.of();
    }

    /** What makes an index cover only the rows where {@code condition} holds; here nothing (a full index). */
    String partialIndex(String condition) {
        return "";
    }

    /** What follows the resource table's definition. */
    String resourceTableOptions() {
        return "";
    }

    // ---- running statements

    /** Runs an insert from {@link #insertUnlessDuplicate(String, String)}; 0 if the key was taken. */
    int insertUnlessDuplicate(Connection c, String statement, Jdbc.Binder binder) throws SQLException {
        try {
            return Jdbc.update(c, statement, binder);
        } catch (SQLException e) {
            if (SqlErrors.classify(e) == SqlErrors.Kind.UNIQUE_VIOLATION) {
                return 0;
            }
            throw e;
        }
    }

    /** Prepares an insert whose generated {@code id} is read back. */
    PreparedStatement prepareReturningId(Connection c, String insert) throws SQLException {
        return c.prepareStatement(insert, Statement.RETURN_GENERATED_KEYS);
    }

    /** Runs an insert of {@link #insertUnlessDuplicate(String, String)} that returns the new row's id; empty if the key was taken. */
    OptionalLong insertReturningId(Connection c, String statement, Jdbc.Binder binder) throws SQLException {
        try (PreparedStatement s = prepareReturningId(c, statement)) {
            binder.bind(s);
            try {
                if (s.executeUpdate() == 0) {
                    return OptionalLong.empty();
                }
            } catch (SQLException e) {
                if (SqlErrors.classify(e) == SqlErrors.Kind.UNIQUE_VIOLATION) {
                    return OptionalLong.empty();
                }
                throw e;
            }
            try (ResultSet keys = s.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("the database returned no id for the new row");
                }
                return OptionalLong.of(keys.getLong(1));
            }
        }
    }

    /**
     * The ids of the rows {@code rs} returns ({@code id, holder_id, quantity, idempotency_key,
     * expires_at}), in the order of {@code requests}: a multi-row insert's {@code RETURNING}
     * promises no order, so each row is matched to a request by what it holds (requests that hold
     * the same are interchangeable). Fails unless every request got exactly one row.
     */
    final long[] idsByContent(ResultSet rs, List<ReservationRequest> requests, List<Instant> expiries)
            throws SQLException {
        int n = requests.size();
        Map<String, ArrayDeque<Integer>> byContent = new HashMap<>();
        for (int i = 0; i < n; i++) {
            ReservationRequest request = requests.get(i);
            byContent.computeIfAbsent(content(request.holderId(), request.quantity(), request.idempotencyKey(),
                    expiries.get(i)), k -> new ArrayDeque<>()).add(i);
        }
        long[] ids = new long[n];
        int returned = 0;
        while (rs.next()) {
            ArrayDeque<Integer> same = byContent.get(content(rs.getString(2), rs.getInt(3), rs.getString(4),
                    instant(rs, 5)));
            if (same == null || same.isEmpty()) {
                throw new SQLException("the database returned a row no request of the batch asked for");
            }
            ids[same.poll()] = rs.getLong(1);
            returned++;
        }
        if (returned != n) {
            throw new SQLException("the database returned " + returned + " ids for " + n + " new rows");
        }
        return ids;
    }

    private static String content(String holder, int quantity, String key, Instant expiry) {
        return holder + '\u0000' + quantity + '\u0000' + key + '\u0000' + expiry;
    }

    /**
     * Inserts one reservation row per request, all of one resource, each expiring as
     * {@code expiries} says (null: permanent); their ids, in the order of the requests. A taken
     * idempotency key fails the statement. Here: one JDBC batch.
     */
    long[] insertReservations(Connection c, Sql sql, List<ReservationRequest> requests, Instant createdAt,
                              List<Instant> expiries) throws SQLException {
        try (PreparedStatement s = prepareReturningId(c, sql.insertReservations)) {
            Object at = timestamp(createdAt);
            for (int i = 0; i < requests.size(); i++) {
                ReservationRows.bindInsert(s, this, requests.get(i), at, expiries.get(i));
                s.addBatch();
            }
            s.executeBatch();
            long[] ids = new long[requests.size()];
            try (ResultSet keys = s.getGeneratedKeys()) {
                for (int i = 0; i < ids.length; i++) {
                    if (!keys.next()) {
                        throw new SQLException("the database returned " + i + " ids for " + ids.length + " new rows");
                    }
                    ids[i] = keys.getLong(1);
                }
            }
            return ids;
        }
    }

    /**
     * Takes the given slots for a reservation where they are free; the number taken. A slot held
     * by a transaction in flight is waited for; one taken meanwhile is skipped, never an error.
     * Here: one statement per slot.
     */
    int insertSlots(Connection c, Sql sql, String resourceId, List<Long> slots, long reservationId) throws SQLException {
        int taken = 0;
        for (long slot : slots) {
            taken += insertUnlessDuplicate(c, sql.insertSlots, Jdbc.parameters(resourceId, slot, reservationId));
        }
        return taken;
    }

    /**
     * One query for the rows of many holders of one resource, from an array of holder ids and the
     * resource id, in that order; or null if this database has none (then one lookup a holder).
     */
    String holdersAmong(String holderTable) {
        return null;
    }

    /**
     * One statement that adds units to one holder's row of one resource if the sum stays within the
     * limit, or inserts the row if there is none, from the resource id, the holder id, the units
     * and the limit, in that order; one row written if the units were taken, none if not. It must
     * be atomic without any other lock held (two callers inserting the same holder's row: one
     * inserts, the other adds to it). Null if this database has none (then an update, and an
     * insert where no row was found: two statements for a holder's first units).
     */
    String holderTake(String holderTable) {
        return null;
    }

    /**
     * One statement that adds units to many holders' rows of one resource, from the resource id,
     * an array of holder ids, an array of their units and the limit twice, in that order: a row
     * takes the units only if its sum stays within the limit, a missing row is inserted if they
     * are within it, so the rows written number the holders exactly when every holder's units
     * fitted. Null if this database has none (then one statement a holder).
     */
    String holdersAddAll(String holderTable) {
        return null;
    }

    /**
     * One statement that adds units to many holders' rows of one resource only if every holder's
     * sum stays within the limit, inserting missing rows: all of them or none. From the resource
     * id, an array of holder ids (distinct), an array of their units, the same two arrays again,
     * the limit and the resource id again, in that order; the rows written number the holders, or
     * none. Run under the resource row's lock, so the rows it reads do not change before it writes.
     * Each holder's row is to be found by its whole key (a scalar subquery per holder, not a join,
     * which PostgreSQL planned as a scan of the resource's every holder while the table's
     * statistics were those of an empty table).
     * Null if this database has none.
     */
    String holdersAddAllOrNone(String holderTable) {
        return null;
    }

    /**
     * Adds each holder's {@code added} units (holders distinct) if every sum stays within
     * {@code limit}, inserting missing rows; whether it did. Nothing is written if it did not.
     * Only where {@link Sql#holdersAddAllOrNone} exists; under the resource row's lock.
     */
    final boolean addHolderUnitsOrNone(Connection c, Sql sql, String resourceId, Map<String, Long> added, long limit)
            throws SQLException {
        Object[] holderIds = added.keySet().toArray();
        Object[] unitCounts = added.values().toArray();
        Array holders = c.createArrayOf("varchar", holderIds);
        Array units = c.createArrayOf("bigint", unitCounts);
        Array holdersAgain = c.createArrayOf("varchar", holderIds);
        Array unitsAgain = c.createArrayOf("bigint", unitCounts);
        try {
            int written = Jdbc.update(c, sql.holdersAddAllOrNone, resourceId, holders, units, holdersAgain, unitsAgain,
                    limit, resourceId);
            if (written != 0 && written != added.size()) {
                throw new IllegalStateException("adding the units of " + added.size() + " holders of '" + resourceId
                        + "' all or none wrote " + written + " rows");
            }
            return written == added.size();
        } finally {
            holders.free();
            units.free();
            holdersAgain.free();
            unitsAgain.free();
        }
    }

    /** The units recorded for each of {@code holders} on {@code resourceId} that has a row, zero included. */
    final Map<String, Long> holderUnits(Connection c, Sql sql, String resourceId, Collection<String> holders)
            throws SQLException {
        Map<String, Long> units = new HashMap<>();
        if (sql.holdersAmong == null) {
            for (String holder : holders) {
                OptionalLong found = Jdbc.oneLong(c, sql.holderUnits, resourceId, holder);
                if (found.isPresent()) {
                    units.put(holder, found.getAsLong());
                }
            }
            return units;
        }
        Array array = c.createArrayOf("varchar", holders.toArray());
        try {
            for (Object[] row : Jdbc.list(c, sql.holdersAmong, rs -> new Object[] {rs.getString(1), rs.getLong(2)},
                    array, resourceId)) {
                units.put((String) row[0], (Long) row[1]);
            }
        } finally {
            array.free();
        }
        return units;
    }

    /**
     * Adds each holder's {@code added} units to its row on {@code resourceId} if the sum stays
     * within {@code limit}, inserting the rows of holders in {@code added} but not in
     * {@code before}; whether every holder's units were added. Called under the resource row's
     * lock, so no other transaction changes these rows meanwhile; false means they changed
     * anyway, and the caller's transaction is to be rolled back.
     */
    final boolean addHolderUnits(Connection c, Sql sql, String resourceId, Map<String, Long> before,
                                 Map<String, Long> added, long limit) throws SQLException {
        if (sql.holdersAddAll == null) {
            for (Map.Entry<String, Long> holder : added.entrySet()) {
                long units = holder.getValue();
                int changed = before.containsKey(holder.getKey())
                        ? Jdbc.update(c, sql.holderAdd, units, resourceId, holder.getKey(), limit, units)
                        : units > limit ? 0
                        : insertUnlessDuplicate(c, sql.holderInsert, Jdbc.parameters(resourceId, holder.getKey(), units));
                if (changed != 1) {
                    return false;
                }
            }
            return true;
        }
        Array holders = c.createArrayOf("varchar", added.keySet().toArray());
        Array units = c.createArrayOf("bigint", added.values().toArray());
        try {
            return Jdbc.update(c, sql.holdersAddAll, resourceId, holders, units, limit, limit)
                    == added.size();
        } finally {
            holders.free();
            units.free();
        }
    }

    /**
     * Runs the DDL, each statement idempotent, in the transaction the caller commits. Here
     * without a lock: an installer in another process may create an object between our existence
     * check and our CREATE, so a failed statement is tried again.
     */
    void install(Connection c, Sql sql) throws SQLException {
        for (String statement : sql.ddl()) {
            for (int attempt = 1; ; attempt++) {
                try (Statement s = c.createStatement()) {
                    s.execute(statement);
                    break;
                } catch (SQLException e) {
                    if (attempt == DDL_ATTEMPTS || SqlErrors.classify(e) == SqlErrors.Kind.UNAVAILABLE) {
                        throw e;
                    }
                    RetryBudget.sleep(TimeUnit.MILLISECONDS.toNanos(attempt));
                }
            }
        }
    }

    /** The database's name, for messages. */
    abstract String product();

    @Override
    public String toString() {
        return getClass().getSimpleName();
    }
}
