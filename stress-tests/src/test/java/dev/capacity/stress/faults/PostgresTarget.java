package dev.capacity.stress.faults;

import dev.capacity.stress.internal.Database;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedPostgresServer;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fault suite on PostgreSQL: a race's sessions carry its name as {@code application_name};
 * they are ended with {@code pg_terminate_backend}; {@link Fault#TIMEOUTS} sets
 * {@code statement_timeout} to 5 ms for the session (and the strategies' lock timeout of 1 ms
 * sets {@code lock_timeout}); the tables are truncated (waiting a minute at most for their
 * locks) and a {@code CHECKPOINT} writes the dirty pages before each race. The killer only ends sessions here: a cancel
 * ({@code pg_cancel_backend}) reads as the statement timeout does ({@code 57014}), which
 * {@link Fault#TIMEOUTS} covers.
 *
 * <p>This class is threadsafe.
 */
final class PostgresTarget implements FaultTarget {

    private final EmbeddedPostgresServer server;

    private PostgresTarget(EmbeddedPostgresServer server) {
        this.server = server;
    }

    static PostgresTarget start(Durability durability) {
        return new PostgresTarget(EmbeddedPostgresServer.start(durability));
    }

    @Override
    public EmbeddedPostgresServer server() {
        return server;
    }

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public Database race(Handle admin, String application, boolean timeouts) {
        Database db = server.database();
        return new Database(db.name(), db.jdbcUrl() + "?ApplicationName=" + application
                + (timeouts ? "&options=-c%20statement_timeout%3D5ms" : ""), db.user(), db.password());
    }

    @Override
    public void raceEnded(Handle admin, String application) {
        // nothing to forget: the name lived in the sessions
    }

    @Override
    public Object mark(Handle admin) {
        return admin.createQuery("SELECT clock_timestamp()").mapTo(Timestamp.class).one();
    }

    @Override
    public long sessionsOpenedSince(Handle admin, String application, Object mark) {
        return admin.createQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = :app AND backend_start > :start")
                .bind("app", application).bind("start", (Timestamp) mark).mapTo(Long.class).one();
    }

    /**
     * Truncates the tables, waiting a minute at most for their locks: should a session of an
     * earlier race still hold one, the failure lists every session and lock of the server rather
     * than the suite hanging.
     */
    @Override
    public void empty(Handle admin, String prefix) {
        String truncate = "TRUNCATE " + prefix + "resource, " + prefix + "reservation, " + prefix + "slot, " + prefix + "holder";
        try {
            admin.execute("SET lock_timeout = '60s'");
            admin.execute(truncate);
        } catch (StatementException e) {
            throw new IllegalStateException(truncate + " failed; the server's sessions and locks then:\n"
                    + sessionsAndLocks(), e);
        }
        admin.execute("CHECKPOINT");
    }

    /** Every session and every lock of the server: what an emptying that failed waited for. */
    private String sessionsAndLocks() {
        return ServerState.read(server.database(), List.of(
                "SELECT pid, application_name, state, wait_event_type, wait_event, xact_start, query FROM pg_stat_activity",
                "SELECT l.pid, l.locktype, l.relation::regclass, l.mode, l.granted FROM pg_locks l"));
    }

    @Override
    public List<Session> sessions(Connection own, String application) throws SQLException {
        List<Session> sessions = new ArrayList<>();
        try (PreparedStatement s = own.prepareStatement("SELECT pid, state, query FROM pg_stat_activity"
                + " WHERE application_name = ? AND pid <> pg_backend_pid()")) {
            s.setString(1, application);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    sessions.add(new Session(rs.getInt(1), doing(rs.getString(2), rs.getString(3))));
                }
            }
        }
        return sessions;
    }

    private static String doing(String state, String query) {
        if (state == null) {
            return Session.STARTING;
        }
        if (state.equals("active")) {
            return query != null && query.trim().toUpperCase(Locale.ROOT).startsWith("COMMIT")
                    ? Session.COMMITTING : Session.RUNNING;
        }
        if (state.startsWith("idle in transaction")) {
            return Session.IN_TRANSACTION;
        }
        return state.equals("idle") ? Session.IDLE : state;
    }

    @Override
    public boolean kill(Connection own, Session session) throws SQLException {
        try (PreparedStatement s = own.prepareStatement("SELECT pg_terminate_backend(?)")) {
            s.setInt(1, (int) session.id());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    @Override
    public boolean cancel(Connection own, Session session) {
        return false;
    }

    @Override
    public double cancelShare() {
        return 0;
    }

    @Override
    public String timeout(SQLException failure) {
        return switch (String.valueOf(failure.getSQLState())) {
            case "57014" -> "statement_timeout";
            case "55P03" -> "lock_timeout";
            default -> null;
        };
    }

    @Override
    public String timeoutsSet() {
        return "statement_timeout 5 ms, lock_timeout 1 ms";
    }
}
