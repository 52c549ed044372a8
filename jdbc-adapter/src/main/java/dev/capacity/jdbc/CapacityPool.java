package dev.capacity.jdbc;

import dev.capacity.internal.Arguments;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import org.jdbi.v3.core.Jdbi;

import java.time.Duration;

import javax.sql.DataSource;

/**
 * A HikariCP connection pool and a {@link Jdbi} on it, from a JDBC URL: for examples, tests and
 * applications that have no pool of their own. Applications that have one pass their own
 * {@code Jdbi} to {@link JdbiStrategies} instead.
 *
 * <pre>{@code
 * try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:shop;DB_CLOSE_DELAY=-1")) {
 *     CapacitySchema.install(pool.jdbi());
 *     ...
 * }
 * }</pre>
 *
 * <p>Size the pool to the threads that reserve at once: a thread waiting for a connection waits
 * up to the connection timeout ({@value #DEFAULT_CONNECTION_TIMEOUT_MILLIS} ms unless given) and
 * then fails with a {@link dev.capacity.StoreUnavailableException}; while the database is down,
 * every call fails that way after at most the connection timeout, and the pool reconnects by
 * itself when the database is back.
 *
 * <p>On MariaDB and MySQL its connections run at READ COMMITTED, which the strategies need in
 * a transaction they join; InnoDB's default is REPEATABLE READ.
 *
 * <p>A lock or statement timeout does not cost the pool its connection
 * ({@link TimeoutsKeepConnections}): HikariCP would otherwise close the connection on every
 * {@code SQLTimeoutException}, which H2 throws for a lock wait that ran out.
 *
 * <p>This class is threadsafe.
 */
public final class CapacityPool implements AutoCloseable {

    /** The pool size {@link #open(String)} uses. */
    public static final int DEFAULT_MAXIMUM_POOL_SIZE = 16;

    /** How long a thread waits for a connection unless told otherwise: short, so that callers fail fast. */
    public static final long DEFAULT_CONNECTION_TIMEOUT_MILLIS = 5_000;

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private CapacityPool(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
    }

    /** A pool of {@value #DEFAULT_MAXIMUM_POOL_SIZE} connections to {@code jdbcUrl}, with no credentials. */
    public static CapacityPool open(String jdbcUrl) {
        return open(jdbcUrl, null, null, DEFAULT_MAXIMUM_POOL_SIZE);
    }

    /** A pool of {@value #DEFAULT_MAXIMUM_POOL_SIZE} connections to {@code jdbcUrl}. */
    public static CapacityPool open(String jdbcUrl, String user, String password) {
        return open(jdbcUrl, user, password, DEFAULT_MAXIMUM_POOL_SIZE);
    }

    /**
     * A pool of {@code maximumPoolSize} connections to {@code jdbcUrl}. They are opened in the
     * background, so this does not fail if the database is down; a call that finds none fails.
     */
    public static CapacityPool open(String jdbcUrl, String user, String password, int maximumPoolSize) {
        return open(jdbcUrl, user, password, maximumPoolSize, Duration.ofMillis(DEFAULT_CONNECTION_TIMEOUT_MILLIS));
    }

    /**
     * A pool of at most {@code maximumPoolSize} connections to {@code jdbcUrl}, whose callers wait
     * at most {@code connectionTimeout} (at least 250 ms, HikariCP's floor) for a connection.
     */
    public static CapacityPool open(String jdbcUrl, String user, String password, int maximumPoolSize,
                                    Duration connectionTimeout) {
        Arguments.requireNonNull(jdbcUrl, "jdbcUrl");
        Arguments.requireArgument(jdbcUrl.startsWith("jdbc:"), "jdbcUrl must start with 'jdbc:', was '%s'", jdbcUrl);
        Arguments.requirePositive(maximumPoolSize, "maximumPoolSize");
        Arguments.requireNonNull(connectionTimeout, "connectionTimeout");
        Arguments.requireArgument(connectionTimeout.toMillis() >= 250,
                "connectionTimeout must be at least 250 ms, was %s", connectionTimeout);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(maximumPoolSize);
        // a fixed-size pool, as HikariCP recommends: a burst of callers finds its connections
        // open instead of queueing behind their creation one at a time
        config.setMinimumIdle(maximumPoolSize);
        config.setPoolName("capacity-" + Integer.toHexString(System.identityHashCode(config)));
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(connectionTimeout.toMillis());
        config.setExceptionOverride(new TimeoutsKeepConnections());
        if (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:")) {
            // what a call that joins a transaction needs there; InnoDB's default is REPEATABLE READ (see MariaDbDialect)
            config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        }
        return new CapacityPool(new HikariDataSource(config));
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Connections lent out right now. */
    public int activeConnections() {
        var bean = dataSource.getHikariPoolMXBean();
        return bean == null ? 0 : bean.getActiveConnections();
    }

    /** Connections open right now, lent out or idle. */
    public int totalConnections() {
        var bean = dataSource.getHikariPoolMXBean();
        return bean == null ? 0 : bean.getTotalConnections();
    }

    /** Closes every connection of the pool. */
    @Override
    public void close() {
        dataSource.close();
    }

    @Override
    public String toString() {
        return "CapacityPool{" + dataSource.getJdbcUrl() + ", max " + dataSource.getMaximumPoolSize() + '}';
    }
}
