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

    /*
     * MariaDB and MySQL report several different failures under one SQLSTATE (HY000 for a lock
     * wait timeout as for most errors, 23000 for a duplicate key as for a failed CHECK, 70100
     * for a cancelled query as for a killed connection), so there the vendor code decides.
     * Their codes are below 5000; H2's are five digits and PostgreSQL's are 0.
     */

    /** MariaDB/MySQL: lost races. */
    private static final Set<Integer> MYSQL_CONTENTION_CODES = Set.of(
            1205,   // lock wait timeout exceeded (innodb_lock_wait_timeout, FOR UPDATE WAIT n)
            1213,   // deadlock found (40001)
            1317,   // query execution was interrupted (KILL QUERY)
            1969,   // query execution was interrupted, max_statement_time exceeded (MariaDB)
            3024,   // maximum statement execution time exceeded (MySQL max_execution_time)
            3572);  // a lock could not be acquired immediately and NOWAIT is set (MySQL)

    /** MariaDB/MySQL: the connection or the server is gone. */
    private static final Set<Integer> MYSQL_UNAVAILABLE_CODES = Set.of(
            1040,   // too many connections
            1053,   // server shutdown in progress
            1180,   // error during commit: on a Galera node cut off from the primary component, "Error while
                    // appending streaming replication fragment" (its statement or COMMIT may not replicate)
            1927,   // connection was killed (KILL CONNECTION)
            2006,   // server has gone away
            2013);  // lost connection during query

    /** MariaDB/MySQL: a unique key refused a row. */
    private static final Set<Integer> MYSQL_DUPLICATE_CODES = Set.of(
            1022,   // can't write; duplicate key
            1062,   // duplicate entry for key
            1586);  // duplicate entry for key (with its name)

    /** MariaDB/MySQL: the statement's query was cancelled (KILL QUERY, a statement timeout). */
    private static final Set<Integer> MYSQL_CANCELLED_CODES = Set.of(1317, 1969, 3024);

    private SqlErrors() {}

    static Kind classify(Throwable failure) {
        SQLException sql = sqlException(failure);
        if (sql == null) {
            return failure instanceof ConnectionException ? Kind.UNAVAILABLE : Kind.OTHER;
        }
        String state = sqlState(sql);
        Kind mysql = classifyMySql(sql);
        if (mysql != null) {
            return mysql;
        }
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

    /** The kind of a MariaDB/MySQL failure by its vendor code, or null if it is not one of theirs (or not one of these). */
    private static Kind classifyMySql(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            int code = s.getErrorCode();
            if (code <= 0 || code >= 5000) {
                continue;
            }
            if (MYSQL_CONTENTION_CODES.contains(code)) {
                return Kind.CONTENTION;
            }
            if (MYSQL_UNAVAILABLE_CODES.contains(code)) {
                return Kind.UNAVAILABLE;
            }
            if (MYSQL_DUPLICATE_CODES.contains(code)) {
                return Kind.UNIQUE_VIOLATION;
            }
            if (code == 1146) {  // table doesn't exist (42S02)
                return Kind.MISSING_SCHEMA;
            }
        }
        return null;
    }

    /** Whether the failure is a deadlock: the database chose this transaction as its victim. */
    static boolean isDeadlock(Throwable failure) {
        SQLException sql = sqlException(failure);
        if (sql == null) {
            return false;
        }
        return sql.getErrorCode() == 1213 || "40P01".equals(sqlState(sql));
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
        return sql != null && ("57014".equals(sqlState(sql)) || MYSQL_CANCELLED_CODES.contains(sql.getErrorCode()));
    }

    /** The SQLSTATE of the failure, or {@code "none"}, for messages. */
    static String describe(Throwable failure) {
        SQLException sql = sqlException(failure);
        if (sql == null) {
            return failure.getClass().getSimpleName();
        }
        int code = sql.getErrorCode();
        return "SQLSTATE " + sqlState(sql) + (code > 0 && code < 5000 ? ", error " + code : "");
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
