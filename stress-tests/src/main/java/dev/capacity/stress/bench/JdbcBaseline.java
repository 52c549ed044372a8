package dev.capacity.stress.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import javax.sql.DataSource;

/**
 * The yardstick: conditional-update written by hand with plain JDBC on the same pool and the same
 * tables, with the statements the library sends (insert the reservation row, one guarded update,
 * commit; on refusal, read the row and roll back), and none of the library around them: no
 * validation, retry budget, listener, dialect detection or result objects. The library's
 * overhead is its throughput divided by this one's.
 *
 * <p>And the ceiling ({@link #grantBatch}): what one connection can commit at most, grants
 * written by hand in whole batches by one thread, with nobody to hand them to.
 *
 * <p>This class is threadsafe.
 */
public final class JdbcBaseline {

    /** The databases it is written for: each has its own way to return the row an update changed. */
    public enum Database { H2, POSTGRES, MARIADB }

    private final DataSource dataSource;
    private final Database database;
    private final String insert;
    private final String update;
    private final String refusal;

    public JdbcBaseline(DataSource dataSource, Database database) {
        this.dataSource = dataSource;
        this.database = database;
        this.insert = "INSERT INTO capacity_reservation (resource_id, holder_id, quantity, idempotency_key, created_at)"
                + " VALUES (?, ?, ?, ?, ?)" + (database == Database.POSTGRES ? " ON CONFLICT (idempotency_key) DO NOTHING" : "");
        String guarded = "UPDATE capacity_resource SET reserved = reserved + ?, version = version + 1"
                + " WHERE id = ? AND family = 'counter' AND reserved <= capacity - ?";
        this.update = switch (database) {
            case POSTGRES -> guarded + " RETURNING capacity - reserved";
            case H2 -> "SELECT capacity - reserved FROM FINAL TABLE (" + guarded + ")";
            // no RETURNING on an update: the count of rows it changed says whether the unit was there
            case MARIADB -> guarded;
        };
        this.refusal = "SELECT family, capacity, reserved, version FROM capacity_resource WHERE id = ?";
    }

    private static boolean returnsARow(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            return rs.next();
        }
    }

    /** Reserves one unit; the reservation id, or -1 if the resource is full. */
    public long reserve(String resourceId, String holderId) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                long id;
                try (PreparedStatement s = database == Database.POSTGRES ? c.prepareStatement(insert, new String[] {"id"})
                        : c.prepareStatement(insert, Statement.RETURN_GENERATED_KEYS)) {
                    s.setString(1, resourceId);
                    s.setString(2, holderId);
                    s.setInt(3, 1);
                    s.setString(4, null);
                    s.setObject(5, now());
                    s.executeUpdate();
                    try (ResultSet keys = s.getGeneratedKeys()) {
                        keys.next();
                        id = keys.getLong(1);
                    }
                }
                try (PreparedStatement s = c.prepareStatement(update)) {
                    s.setInt(1, 1);
                    s.setString(2, resourceId);
                    s.setInt(3, 1);
                    if (database == Database.MARIADB ? s.executeUpdate() == 1 : returnsARow(s)) {
                        c.commit();
                        return id;
                    }
                }
                try (PreparedStatement s = c.prepareStatement(refusal)) {
                    s.setString(1, resourceId);
                    s.executeQuery().close();
                }
                c.rollback();
                return -1;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /** Now, as the library writes a row's time: MariaDB's DATETIME(6) holds UTC without a zone. */
    private Object now() {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        return database == Database.MARIADB ? now.toLocalDateTime() : now;
    }

    /**
     * Grants {@code n} units of one each in one transaction, as a perfect batch would: one guarded
     * update of the counter by {@code n}, the {@code n} reservation rows (all alike) written the
     * cheapest way found for the database, one COMMIT. Nothing waits for it and nothing is handed
     * over: the physical limit of one connection on this machine, against which combining is
     * measured. The cheapest way, measured on 2026-11-30 at {@code n} = 64: on PostgreSQL the rows
     * made by the server in one statement (87,000 grants/s; as a JDBC batch 40,000), on MariaDB a
     * JDBC batch, which its driver sends in one round trip (66,000; made by the server 58,000).
     *
     * @return {@code n}, or 0 if the resource had fewer than {@code n} units left (nothing written)
     */
    public int grantBatch(String resourceId, int n) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement s = c.prepareStatement("UPDATE capacity_resource SET reserved = reserved + ?,"
                        + " version = version + 1 WHERE id = ? AND family = 'counter' AND reserved <= capacity - ?")) {
                    s.setInt(1, n);
                    s.setString(2, resourceId);
                    s.setInt(3, n);
                    if (s.executeUpdate() != 1) {
                        c.rollback();
                        return 0;
                    }
                }
                if (database == Database.MARIADB) {
                    // one JDBC batch, which MariaDB's driver sends in one round trip (bulk)
                    try (PreparedStatement s = c.prepareStatement(insert)) {
                        Object now = now();
                        for (int i = 0; i < n; i++) {
                            s.setString(1, resourceId);
                            s.setString(2, "holder");
                            s.setInt(3, 1);
                            s.setString(4, null);
                            s.setObject(5, now);
                            s.addBatch();
                        }
                        s.executeBatch();
                    }
                } else {
                    // the rows made by the server in one statement
                    try (PreparedStatement s = c.prepareStatement("INSERT INTO capacity_reservation (resource_id,"
                            + " holder_id, quantity, idempotency_key, created_at) SELECT ?, 'holder', 1, NULL, ? FROM "
                            + (database == Database.POSTGRES ? "generate_series(1, ?)" : "SYSTEM_RANGE(1, ?)"))) {
                        s.setString(1, resourceId);
                        s.setObject(2, now());
                        s.setInt(3, n);
                        s.executeUpdate();
                    }
                }
                c.commit();
                return n;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
