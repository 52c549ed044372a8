package dev.capacity.jdbc;

import org.jdbi.v3.core.ConnectionException;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * The one place that reads SQLSTATEs. Jdbi wraps statement failures
 * ({@code UnableToExecuteStatementException}), commit and rollback failures
 * ({@code TransactionException}) and connection failures ({@code ConnectionException}) in
 * different exceptions, with the driver's {@link SQLException} somewhere in the cause chain;
 * {@link #classify} finds it.
 */
final class SqlErrors {

    /** What a failure means for the caller. */
    enum Kind {
        /** Lost a race (serialization failure, deadlock, lock or statement timeout): nothing written, retry. */
        CONTENTION,
        /** The store cannot be reached: fail fast; during COMMIT the outcome is unknown. */
        UNAVAILABLE,
        /** A unique constraint refused a row. */
        UNIQUE_VIOLATION,
        /** The capacity tables are missing: {@code CapacitySchema.install} was not run. */
        MISSING_SCHEMA,
        /** Anything else: a bug or a misconfiguration, reported as it is. */
        OTHER
    }

    private static final Set<String> CONTENTION_STATES = Set.of(
            "40001",  // serialization failure (PostgreSQL, H2 deadlock)
            "40P01",  // deadlock detected (PostgreSQL)
            "55P03",  // lock not available: lock_timeout, NOWAIT (PostgreSQL)
            "57014",  // query canceled: statement_timeout (PostgreSQL)
            "HYT00",  // lock timeout (H2 50200)
            "90131"); // concurrent update in another transaction (H2)

    private static final Set<String> UNAVAILABLE_STATES = Set.of(
            "57P01",  // admin shutdown: terminated by pg_terminate_backend or a fast shutdown
            "57P02",  // crash shutdown
            "57P03",  // cannot connect now: starting up or shutting down
            "53300",  // too many connections
            "90067",  // connection is broken (H2)
            "90098",  // database is closed (H2)
            "90121"); // database called at shutdown (H2)

    private static final Set<String> MISSING_SCHEMA_STATES = Set.of(
            "42P01",  // undefined table (PostgreSQL)
            "42S02",  // table not found (H2 42102)
            "42S03",  // table not found, with candidates of another case (H2 42103)
            "42S04",  // table not found, and the database has no tables at all (H2 42104)
            "42102"); // table not found (H2 error code used as state by some versions)

    private SqlErrors() {}

    static Kind classify(Throwable failure) {
        SQLException sql = sqlException(failure);
        if (sql == null) {
            return failure instanceof ConnectionException ? Kind.UNAVAILABLE : Kind.OTHER;
        }
        String state = sqlState(sql);
        if (state != null) {
            if (CONTENTION_STATES.contains(state)) {
                return Kind.CONTENTION;
            }
            if (state.startsWith("08") || UNAVAILABLE_STATES.contains(state)) {
                return Kind.UNAVAILABLE;
            }
            if (state.equals("23505")) {
                return Kind.UNIQUE_VIOLATION;
            }
            if (MISSING_SCHEMA_STATES.contains(state)) {
                return Kind.MISSING_SCHEMA;
            }
        }
        if (sql instanceof SQLTransientConnectionException || sql instanceof SQLNonTransientConnectionException
                || sql instanceof SQLRecoverableException || failure instanceof ConnectionException) {
            return Kind.UNAVAILABLE;
        }
        return Kind.OTHER;
    }

    /**
     * Whether a COMMIT that failed this way may nevertheless have committed: the connection
     * failed, or the statement was cancelled ({@code 57014}: a statement timeout or a cancel can
     * be delivered after the commit record is written, and then the COMMIT reports an error for a
     * transaction that did commit). Such a COMMIT must be looked up, never simply run again.
     */
    static boolean commitMayHaveHappened(Throwable failure) {
        if (classify(failure) == Kind.UNAVAILABLE) {
            return true;
        }
        SQLException sql = sqlException(failure);
        return sql != null && "57014".equals(sqlState(sql));
    }

    /** The SQLSTATE of the failure, or {@code "none"}, for messages. */
    static String describe(Throwable failure) {
        SQLException sql = sqlException(failure);
        if (sql == null) {
            return failure.getClass().getSimpleName();
        }
        return "SQLSTATE " + sqlState(sql);
    }

    /** The first SQLException in the cause chain, following a batch's next exceptions. */
    static SQLException sqlException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException e) {
                return e;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String sqlState(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            if (s.getSQLState() != null) {
                return s.getSQLState();
            }
            if (s.getCause() instanceof SQLException cause && cause.getSQLState() != null) {
                return cause.getSQLState();
            }
        }
        return null;
    }
}
