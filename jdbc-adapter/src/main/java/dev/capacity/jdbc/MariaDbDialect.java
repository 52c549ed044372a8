package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;

/**
 * MariaDB (10.6+) and MySQL (8+) on InnoDB. What differs from PostgreSQL, and how it is met:
 * <ul>
 *   <li>No {@code UPDATE ... RETURNING}: the update runs alone and {@link Sql} reads the changed row
 *       back in the same transaction, under the lock the update took. MariaDB has
 *       {@code DELETE ... RETURNING}; MySQL has neither, so there the slots are read under their
 *       locks and then deleted.</li>
 *   <li>No {@code ON CONFLICT}: a duplicate key (1062) rolls back the statement only, never the
 *       transaction, so the base class's plain insert that turns the error into "0 rows" keeps a
 *       caller's transaction usable. Not {@code INSERT IGNORE}, which also turns other errors into
 *       warnings; not {@code ON DUPLICATE KEY UPDATE id = id}, which the driver's default
 *       {@code useAffectedRows=false} counts as one row whether it inserted or not.</li>
 *   <li>A lock wait is bounded in the locking read with {@code FOR UPDATE WAIT n} (MariaDB), in
 *       whole seconds: the lock timeout rounded up, at least one. MySQL has no such clause; there
 *       the session's {@code innodb_lock_wait_timeout} bounds it.</li>
 *   <li>Isolation: InnoDB's default REPEATABLE READ reads a snapshot and takes gap locks, so a
 *       missing row's update followed by its insert deadlocks with another transaction doing the
 *       same (Bucket4j #606), and a deadlock rolls back the whole transaction. The adapter's own
 *       transactions run at READ COMMITTED, as on PostgreSQL's default: every statement reads
 *       the newest committed rows and no gap locks are taken. A call that joins a caller's
 *       transaction requires READ COMMITTED there too.</li>
 *   <li>Ids: {@code utf8mb4} with a binary collation that does not pad ({@code utf8mb4_nopad_bin}
 *       on MariaDB, {@code utf8mb4_0900_bin} on MySQL), so ids compare as their code points do on
 *       H2 and PostgreSQL: 'a' and 'A', 'a' and 'a ' are different ids, and emoji round-trip.
 *       {@code VARCHAR(200)} counts code points; the widest key, (resource, holder), takes
 *       1,600 bytes, within InnoDB's 3,072.</li>
 *   <li>Instants: {@code DATETIME(6)} holding UTC, bound as a {@link LocalDateTime} at UTC, so
 *       neither the driver's nor the session's time zone takes part; it reaches 9999-12-31, the
 *       latest hold expiry. ({@code TIMESTAMP} stops at 2038.)</li>
 *   <li>No arrays: lists of ids go as lists of parameters; a batch's reservation rows go as one
 *       multi-row {@code INSERT ... RETURNING} on MariaDB (one row a statement on MySQL); holders
 *       and slots go one row a statement (the base class's fallbacks).</li>
 *   <li>Table names in lower case, whatever the case of the prefix: they are case-sensitive on
 *       Linux, and H2 and PostgreSQL fold unquoted names.</li>
 *   <li>No 0.1 tables to upgrade, and the secondary indexes are part of {@code CREATE TABLE}
 *       (MySQL has no {@code CREATE INDEX IF NOT EXISTS}).</li>
 *   <li>On a Galera node ({@code wsrep_on}) row locks hold on that node only, so unique-slots
 *       makes no sold-out mark there ({@link #marksSoldOut}).</li>
 * </ul>
 */
final class MariaDbDialect extends Dialect {

    static final MariaDbDialect MARIADB = new MariaDbDialect(true, false);
    static final MariaDbDialect MYSQL = new MariaDbDialect(false, false);
    /** A node of a Galera cluster: its row locks are its own, the other nodes never see them. */
    static final MariaDbDialect GALERA = new MariaDbDialect(true, true);

    private final boolean mariaDb;
    private final boolean galera;

    private MariaDbDialect(boolean mariaDb, boolean galera) {
        this.mariaDb = mariaDb;
        this.galera = galera;
    }

    /**
     * Whether the MariaDB server behind {@code connection} replicates with Galera ({@code wsrep_on});
     * false where the variable is unknown (an error on MariaDB leaves a transaction usable).
     */
    static boolean isGalera(Connection connection) {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT @@wsrep_on")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException noSuchVariable) {
            return false;
        }
    }

    @Override
    boolean marksSoldOut() {
        return !galera;
    }

    @Override
    String updateReturning(String update, String columns) {
        return null;
    }

    @Override
    String deleteReturning(String delete, String columns) {
        return mariaDb ? delete + " RETURNING " + columns : null;
    }

    @Override
    boolean hasArrays() {
        return false;
    }

    @Override
    int isolation() {
        return Connection.TRANSACTION_READ_COMMITTED;
    }

    @Override
    boolean deadlockEndsTransaction() {
        return true;
    }

    @Override
    String lockForUpdate(String select, long timeoutMillis) {
        return select + " FOR UPDATE" + lockWait(timeoutMillis);
    }

    /** {@code LOCK IN SHARE MODE}, which both MariaDB and MySQL 8 read (MySQL's {@code FOR SHARE} is not MariaDB's). */
    @Override
    String lockShared(String select, long timeoutMillis) {
        return select + " LOCK IN SHARE MODE" + lockWait(timeoutMillis);
    }

    private String lockWait(long timeoutMillis) {
        if (!mariaDb) {
            return "";
        }
        // WAIT 0 would be NOWAIT: the shortest bounded wait is one second
        return " WAIT " + Math.max(1, (timeoutMillis + 999) / 1000);
    }

    /**
     * Lower case: InnoDB's table names are file names, case-sensitive on Linux
     * ({@code lower_case_table_names=0}), folded elsewhere; lowering them gives every server the
     * one set of tables H2 and PostgreSQL give for prefixes that differ only in case.
     */
    @Override
    String tablePrefix(String prefix) {
        return prefix.toLowerCase(Locale.ROOT);
    }

    @Override
    String timestampType() {
        return "DATETIME(6)";
    }

    @Override
    String generatedIdColumn() {
        return "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY";
    }

    @Override
    String tableOptions() {
        return " ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = " + (mariaDb ? "utf8mb4_nopad_bin" : "utf8mb4_0900_bin");
    }

    @Override
    boolean upgradesTablesOf01() {
        return false;
    }

    @Override
    boolean indexesInTable() {
        return true;
    }

    @Override
    Object timestamp(Instant instant) {
        return LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC);
    }

    @Override
    Instant instant(ResultSet rs, int column) throws SQLException {
        LocalDateTime value = rs.getObject(column, LocalDateTime.class);
        return value == null ? null : value.toInstant(ZoneOffset.UTC);
    }

    /**
     * On MariaDB, one multi-row insert that returns its rows ({@code INSERT ... RETURNING}, 10.5+),
     * matched to the requests by what they hold ({@link #idsByContent}): one round trip for the
     * batch. On MySQL, which has no {@code RETURNING}, one insert a row, each reading back its own
     * id: a multi-row insert's ids are consecutive only under some {@code innodb_autoinc_lock_mode}s
     * (not under Galera's 2), and a JDBC batch's generated keys depend on the driver's batching mode.
     */
    @Override
    long[] insertReservations(Connection c, Sql sql, List<ReservationRequest> requests, Instant createdAt,
                              List<Instant> expiries) throws SQLException {
        int n = requests.size();
        Object at = timestamp(createdAt);
        if (mariaDb) {
            StringBuilder insert = new StringBuilder(sql.insertReservationRow);
            for (int i = 1; i < n; i++) {
                insert.append(", (?, ?, ?, ?, ?, ?)");
            }
            insert.append(" RETURNING id, holder_id, quantity, idempotency_key, expires_at");
            try (PreparedStatement s = c.prepareStatement(insert.toString())) {
                for (int i = 0; i < n; i++) {
                    ReservationRows.bindInsert(s, i * ReservationRows.INSERT_PARAMETERS, this, requests.get(i), at,
                            expiries.get(i));
                }
                try (ResultSet rs = s.executeQuery()) {
                    return idsByContent(rs, requests, expiries);
                }
            }
        }
        long[] ids = new long[n];
        try (PreparedStatement s = prepareReturningId(c, sql.insertReservationRow)) {
            for (int i = 0; i < ids.length; i++) {
                ReservationRows.bindInsert(s, this, requests.get(i), at, expiries.get(i));
                s.executeUpdate();
                try (ResultSet keys = s.getGeneratedKeys()) {
                    if (!keys.next()) {
                        throw new SQLException("the database returned no id for new row " + i + " of " + ids.length);
                    }
                    ids[i] = keys.getLong(1);
                }
            }
        }
        return ids;
    }

    @Override
    String product() {
        return mariaDb ? "MariaDB" : "MySQL";
    }

    @Override
    public String toString() {
        return !mariaDb ? "MariaDbDialect(MySQL)" : galera ? "MariaDbDialect(Galera)" : "MariaDbDialect";
    }
}
