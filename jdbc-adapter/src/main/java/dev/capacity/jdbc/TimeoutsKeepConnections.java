package dev.capacity.jdbc;

import com.zaxxer.hikari.SQLExceptionOverride;

import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.util.Set;

/**
 * Tells HikariCP that a lock wait or statement that ran out of time leaves its connection
 * healthy. Some HikariCP versions close the connection on every {@link SQLTimeoutException}
 * (H2 reports a lock timeout that way), so a burst of lock timeouts under contention would drain
 * the pool and make every caller pay for a new connection just when the database is busiest.
 * Connection failures ({@code 08xxx}, a terminated backend) are left to HikariCP's own judgement.
 *
 * <p>{@link CapacityPool} installs it. An application with its own HikariCP pool sets it with
 * {@code config.setExceptionOverride(new TimeoutsKeepConnections())} or
 * {@code exceptionOverrideClassName=dev.capacity.jdbc.TimeoutsKeepConnections}.
 *
 * <p>This class is stateless and threadsafe.
 */
public final class TimeoutsKeepConnections implements SQLExceptionOverride {

    private static final Set<String> TIMEOUT_STATES = Set.of(
            "HYT00",  // H2: lock wait timed out
            "55P03",  // PostgreSQL: lock_timeout
            "57014"); // PostgreSQL: statement_timeout or a cancel

    /** MariaDB/MySQL report these by vendor code: their SQLSTATEs (HY000, 70100) also stand for other failures. */
    private static final Set<Integer> MYSQL_TIMEOUT_CODES = Set.of(
            1205,   // lock wait timeout exceeded
            1317,   // query interrupted (KILL QUERY)
            1969,   // max_statement_time exceeded (MariaDB)
            3024);  // max_execution_time exceeded (MySQL)

    /** For {@code exceptionOverrideClassName}. */
    public TimeoutsKeepConnections() {}

    @java.lang.Override
    public SQLExceptionOverride.Override adjudicate(SQLException e) {
        String state = e.getSQLState();
        boolean timeout = state != null && TIMEOUT_STATES.contains(state) || MYSQL_TIMEOUT_CODES.contains(e.getErrorCode());
        return timeout ? SQLExceptionOverride.Override.DO_NOT_EVICT : SQLExceptionOverride.Override.CONTINUE_EVICT;
    }
}
