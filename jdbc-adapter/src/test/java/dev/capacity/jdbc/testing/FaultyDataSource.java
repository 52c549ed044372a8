package dev.capacity.jdbc.testing;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A real data source with injected faults, for tests only: the next COMMITs can be made to fail
 * with a connection error (SQLSTATE 08006) either after the database committed (the outcome the
 * caller cannot see) or instead of committing, and new connections can be refused. Everything
 * else goes to the real database; this is fault injection, not a mock.
 *
 * <p>This class is threadsafe.
 */
public final class FaultyDataSource implements DataSource {

    /** When an armed COMMIT fails. */
    public enum CommitFault {
        /** The database commits, then the caller sees a lost connection. */
        AFTER_COMMIT,
        /** The database rolls back, and the caller sees a lost connection. */
        INSTEAD_OF_COMMIT
    }

    private final DataSource delegate;
    private final AtomicInteger armedCommits = new AtomicInteger();
    private final AtomicInteger failedCommits = new AtomicInteger();
    private final AtomicInteger lostStatements = new AtomicInteger();
    private volatile CommitFault fault = CommitFault.AFTER_COMMIT;
    private volatile String commitState = "08006";
    private volatile boolean refuseConnectionsAfterFault;
    private volatile boolean refusingConnections;

    public FaultyDataSource(DataSource delegate) {
        this.delegate = delegate;
    }

    /** Makes the next {@code count} COMMITs fail as {@code fault} says. */
    public void failNextCommits(int count, CommitFault fault) {
        failNextCommits(count, fault, "08006");
    }

    /**
     * Makes the next {@code count} COMMITs fail as {@code fault} says, with {@code sqlState}:
     * {@code 57014} is a COMMIT cancelled by a statement timeout, which PostgreSQL can report
     * after the commit record is written.
     */
    public void failNextCommits(int count, CommitFault fault, String sqlState) {
        this.commitState = sqlState;
        this.fault = fault;
        armedCommits.set(count);
    }

    /**
     * Makes the next {@code count} statements fail as a connection that died before its COMMIT
     * does ({@code 08006}); the transaction is rolled back, nothing is written.
     */
    public void loseNextStatements(int count) {
        lostStatements.set(count);
    }

    /** After the next injected COMMIT failure, refuse new connections until {@link #heal()}. */
    public void refuseConnectionsAfterFault() {
        refuseConnectionsAfterFault = true;
    }

    public void heal() {
        armedCommits.set(0);
        lostStatements.set(0);
        refuseConnectionsAfterFault = false;
        refusingConnections = false;
    }

    public int failedCommits() {
        return failedCommits.get();
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (refusingConnections) {
            throw new SQLException("injected: connection refused", "08001");
        }
        return wrap(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("use getConnection()");
    }

    private Connection wrap(Connection connection) {
        java.util.concurrent.atomic.AtomicBoolean dead = new java.util.concurrent.atomic.AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    // a lost connection fails every call but close, as a real one does
                    if (dead.get() && !method.getName().equals("close")) {
                        throw new SQLException("injected: this connection has been closed", "08003");
                    }
                    if (method.getName().startsWith("prepare")
                            && lostStatements.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        connection.rollback();
                        dead.set(true);
                        throw new SQLException("injected: I/O error, connection lost before COMMIT", "08006");
                    }
                    if (method.getName().equals("commit") && armedCommits.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        if (fault == CommitFault.AFTER_COMMIT) {
                            connection.commit();
                        } else {
                            connection.rollback();
                        }
                        failedCommits.incrementAndGet();
                        if (refuseConnectionsAfterFault) {
                            refusingConnections = true;
                        }
                        throw new SQLException("injected: COMMIT failed (" + commitState + ")", commitState);
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
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
