package dev.capacity.stress.faults;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import javax.sql.DataSource;

/**
 * A test-only {@link DataSource} whose connections fail some COMMITs the way a network does: the
 * caller sees a lost connection ({@code 08006}) either after the database committed or instead of
 * the commit. Which COMMITs fail is drawn from a seeded random source with a given probability,
 * half of them each way. The connection itself stays healthy, as it does when only the
 * acknowledgement is lost.
 *
 * <p>This class is threadsafe.
 */
public final class CommitFaults implements DataSource {

    private final DataSource delegate;
    private final double probability;
    private final SplittableRandom random;
    private final AtomicLong afterCommit = new AtomicLong();
    private final AtomicLong insteadOfCommit = new AtomicLong();
    private final BooleanSupplier active;

    /** Fails COMMITs with {@code probability} while {@code active} says so. */
    public CommitFaults(DataSource delegate, double probability, long seed, BooleanSupplier active) {
        if (probability < 0 || probability > 1) {
            throw new IllegalArgumentException("probability must be within [0, 1], was " + probability);
        }
        this.delegate = delegate;
        this.probability = probability;
        this.random = new SplittableRandom(seed);
        this.active = active;
    }

    /** COMMITs that failed after the database committed. */
    public long afterCommit() {
        return afterCommit.get();
    }

    /** COMMITs that failed and rolled back instead. */
    public long insteadOfCommit() {
        return insteadOfCommit.get();
    }

    public long injected() {
        return afterCommit() + insteadOfCommit();
    }

    /** 0: behave, 1: fail after committing, 2: fail instead of committing. */
    private int draw() {
        if (!active.getAsBoolean()) {
            return 0;
        }
        synchronized (random) {
            if (random.nextDouble() >= probability) {
                return 0;
            }
            return random.nextBoolean() ? 1 : 2;
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection connection = delegate.getConnection();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit") && !connection.getAutoCommit()) {
                        int fault = draw();
                        if (fault != 0) {
                            if (fault == 1) {
                                connection.commit();
                                afterCommit.incrementAndGet();
                            } else {
                                connection.rollback();
                                insteadOfCommit.incrementAndGet();
                            }
                            throw new SQLException("injected: I/O error during COMMIT, connection lost", "08006");
                        }
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("use getConnection()");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return delegate.isWrapperFor(iface);
    }
}
