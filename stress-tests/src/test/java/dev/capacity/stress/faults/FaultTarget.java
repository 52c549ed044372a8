package dev.capacity.stress.faults;

import dev.capacity.stress.internal.Database;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedServer;

import org.jdbi.v3.core.Handle;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;

/**
 * The database server the fault suite breaks, and all that the suite does differently on each
 * database: how a race's sessions are told apart, listed and ended, how its statements are made
 * to time out and how the timeouts read, how the tables are emptied between races, and how the
 * server is stopped and started again. The races, the faults' timing and the checks are the same
 * on every database; only this differs.
 *
 * <p>Implementations are threadsafe.
 */
interface FaultTarget extends AutoCloseable {

    /** The databases the suite runs on, by the names the command line and the reports use. */
    enum Kind {
        POSTGRES, MARIADB;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Starts an embedded server of {@code kind} with an empty database. */
    static FaultTarget start(Kind kind, Durability durability) {
        return kind == Kind.POSTGRES ? PostgresTarget.start(durability) : MariaDbTarget.start(durability);
    }

    /** {@code postgres} or {@code mariadb}, for the reports. */
    String name();

    /** The server the suite breaks. */
    EmbeddedServer server();

    /** The database as its superuser: the suite's own pool, the killer and the operator connect so. */
    default Database admin() {
        return server().database();
    }

    /**
     * How a race's pool connects: every session it opens is named {@code application} (a name of
     * lower-case letters, digits and {@code -}, new for each race), and with {@code timeouts} every
     * statement of the session runs under the short statement and lock timeouts of
     * {@link Fault#TIMEOUTS}. Whatever it needs on the server is set up on {@code admin}.
     */
    Database race(Handle admin, String application, boolean timeouts);

    /** Forgets what {@link #race} set up for {@code application}, once its pool is closed. */
    void raceEnded(Handle admin, String application);

    /** A mark of this moment for {@link #sessionsOpenedSince}. */
    Object mark(Handle admin);

    /** How many sessions named {@code application} are open and were opened after {@code mark}. */
    long sessionsOpenedSince(Handle admin, String application, Object mark);

    /** Empties the capacity tables of {@code prefix} and lets the server write its dirty pages, so that every race starts alike. */
    void empty(Handle admin, String prefix);

    /** A session of the server and what it was doing when listed. */
    record Session(long id, String doing) {
        static final String STARTING = "starting";
        static final String COMMITTING = "committing";
        static final String RUNNING = "running a statement";
        static final String IN_TRANSACTION = "between statements of a transaction";
        static final String IDLE = "idle in the pool";

        /** Whether a statement (a COMMIT included) was running: one that a cancel can interrupt. */
        boolean running() {
            return doing.equals(COMMITTING) || doing.equals(RUNNING);
        }
    }

    /** The open sessions named {@code application}, read on {@code own}, whose session is never among them. */
    List<Session> sessions(Connection own, String application) throws SQLException;

    /** Ends {@code session} as an operator or a failover would; false if it was gone already. */
    boolean kill(Connection own, Session session) throws SQLException;

    /**
     * Interrupts the statement {@code session} runs and leaves the session open; false if the
     * database has no such command or the session was gone.
     */
    boolean cancel(Connection own, Session session) throws SQLException;

    /**
     * The share of the killer's turns in which it interrupts a statement with {@link #cancel}
     * (of a session running one, if any) instead of ending a session: 0 where it only kills.
     */
    double cancelShare();

    /**
     * What kind of timeout {@code failure} is, as the server names the setting that ran out
     * (such as {@code statement_timeout}), or null if it is none.
     */
    String timeout(SQLException failure);

    /** What {@link Fault#TIMEOUTS} sets on this database, for the reports. */
    String timeoutsSet();

    /** Stops the server: every session ends, every open transaction is rolled back. */
    default void stop() {
        server().stop();
    }

    /** Starts the server again after {@link #stop()}, on the same port, with the same data. */
    default void start() {
        server().start();
    }

    /** Stops the server and removes its files. */
    @Override
    default void close() {
        server().close();
    }
}
