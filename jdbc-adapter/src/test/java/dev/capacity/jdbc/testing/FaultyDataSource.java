package dev.capacity.jdbc.testing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * A real data source with injected faults, for the adapter's tests and the fault suite: COMMITs
 * can be made to fail with a connection error either after the database committed (the outcome
 * the caller cannot see) or instead of committing, either the next few or a seeded random share
 * of them, or with the commit landing only after the caller has seen the error; statements can
 * be lost with their connection, and new connections can be refused.
 * Everything else goes to the real database; this is fault injection, not a mock.
 *
 * <p>A COMMIT here is {@code commit()} on a connection inside a transaction (auto-commit off).
 *
 * <p>This class is threadsafe.
 */
public final class FaultyDataSource extends DelegatingDataSource {

    /** What the database did with a COMMIT that fails. */
    public enum CommitFault {
        /** The database commits, then the caller sees a lost connection. */
        AFTER_COMMIT,
        /** The database rolls back, and the caller sees a lost connection. */
        INSTEAD_OF_COMMIT
    }

    private static final String CONNECTION_LOST = "08006";

    private final AtomicInteger armedCommits = new AtomicInteger();
    private final AtomicLong failedAfterCommit = new AtomicLong();
    private final AtomicLong failedInsteadOfCommit = new AtomicLong();
    private final AtomicInteger lostStatements = new AtomicInteger();
    private volatile CommitFault armedFault = CommitFault.AFTER_COMMIT;
    private volatile String armedState = CONNECTION_LOST;
    private volatile RandomCommitFaults randomCommitFaults;
    private volatile boolean refuseConnectionsAfterFault;
    private volatile boolean refusingConnections;
    private volatile Runnable onFailedCommit = () -> { };
    private volatile BooleanSupplier lateCommitLands;
    private final AtomicLong lateCommits = new AtomicLong();
    private volatile Throwable lateCommitFailure;

    public FaultyDataSource(DataSource delegate) {
        super(delegate);
    }

    /** Makes the next {@code count} COMMITs fail as {@code fault} says. */
    public void failNextCommits(int count, CommitFault fault) {
        failNextCommits(count, fault, CONNECTION_LOST);
    }

    /**
     * Makes the next {@code count} COMMITs fail as {@code fault} says, with {@code sqlState}:
     * {@code 57014} is a COMMIT cancelled by a statement timeout, which PostgreSQL can report
     * after the commit record is written.
     */
    public void failNextCommits(int count, CommitFault fault, String sqlState) {
        this.armedState = sqlState;
        this.armedFault = fault;
        armedCommits.set(count);
    }

    /**
     * Fails each COMMIT with {@code probability} while {@code active} says so, with a lost
     * connection ({@code 08006}), half of them after committing and half instead; which ones is
     * drawn from {@code seed}. The next COMMITs armed by {@link #failNextCommits} fail first.
     */
    public void failCommitsAtRandom(double probability, long seed, BooleanSupplier active) {
        if (probability < 0 || probability > 1) {
            throw new IllegalArgumentException("probability must be within [0, 1], was " + probability);
        }
        randomCommitFaults = new RandomCommitFaults(probability, seed, active);
    }

    /**
     * Makes the next {@code count} statements fail as a connection that died before its COMMIT
     * does ({@code 08006}); the transaction is rolled back, nothing is written.
     */
    public void loseNextStatements(int count) {
        lostStatements.set(count);
    }

    /**
     * Makes the next COMMIT fail with a lost connection ({@code 08006}) at once, while the
     * database commits it only later, on another thread, once {@code lands} says so (asked every
     * millisecond, for at most 30 s): what a caller sees when MariaDB's {@code KILL CONNECTION}
     * shuts the socket of a session in the middle of its COMMIT, which the server thread then
     * finishes, or when the network fails during a COMMIT on any database. Until the commit
     * lands, the transaction keeps its locks. The caller's connection is dead from the failure
     * on; the real one goes back to the pool once the commit has landed.
     */
    public void failNextCommitLandingLater(BooleanSupplier lands) {
        this.lateCommitLands = lands;
    }

    /** COMMITs that landed after their caller saw them fail ({@link #failNextCommitLandingLater}). */
    public long lateCommits() {
        return lateCommits.get();
    }

    /** Throws if a COMMIT that was to land later could not. */
    public void requireLateCommitsLanded() {
        if (lateCommitFailure != null) {
            throw new IllegalStateException("a late COMMIT did not land: " + lateCommitFailure, lateCommitFailure);
        }
    }

    /** After the next injected COMMIT failure, refuse new connections until {@link #heal()}. */
    public void refuseConnectionsAfterFault() {
        refuseConnectionsAfterFault = true;
    }

    /** Injects no more faults: nothing armed, nothing at random, connections accepted. */
    public void heal() {
        armedCommits.set(0);
        randomCommitFaults = null;
        lateCommitLands = null;
        lostStatements.set(0);
        refuseConnectionsAfterFault = false;
        refusingConnections = false;
    }

    /**
     * Runs {@code listener} on the committing thread after each injected COMMIT failure, before
     * the caller sees it: a test can tell which of its calls lost a COMMIT.
     */
    public void onFailedCommit(Runnable listener) {
        this.onFailedCommit = listener;
    }

    /** COMMITs failed so far, either way. */
    public long failedCommits() {
        return failedAfterCommit.get() + failedInsteadOfCommit.get();
    }

    /** COMMITs failed so far as {@code fault} says. */
    public long failedCommits(CommitFault fault) {
        return (fault == CommitFault.AFTER_COMMIT ? failedAfterCommit : failedInsteadOfCommit).get();
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (refusingConnections) {
            throw new SQLException("injected: connection refused", "08001");
        }
        return wrap(realConnection());
    }

    private Connection wrap(Connection connection) {
        AtomicBoolean dead = new AtomicBoolean();
        AtomicBoolean handedOff = new AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("close") && handedOff.get()) {
                        return null; // the thread that lands the late commit gives the real connection back
                    }
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
                    if (method.getName().equals("commit") && !connection.getAutoCommit()) {
                        BooleanSupplier lands = lateCommitLands;
                        if (lands != null) {
                            lateCommitLands = null;
                            dead.set(true);
                            handedOff.set(true);
                            landLater(connection, lands);
                            onFailedCommit.run();
                            throw new SQLException("injected: I/O error during COMMIT, connection lost", CONNECTION_LOST);
                        }
                        failIfDue(connection);
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Commits {@code connection} on a thread of its own once {@code lands} says so, then closes it. */
    private void landLater(Connection connection, BooleanSupplier lands) {
        Thread committer = new Thread(() -> {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!lands.getAsBoolean() && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
                connection.commit();
                lateCommits.incrementAndGet();
            } catch (SQLException | RuntimeException e) {
                lateCommitFailure = e;
            } finally {
                try {
                    connection.close();
                } catch (SQLException e) {
                    lateCommitFailure = e;
                }
            }
        }, "late-commit");
        committer.setDaemon(true);
        committer.start();
    }

    /** Fails this COMMIT if one is armed or drawn: commits or rolls back, then throws. */
    private void failIfDue(Connection connection) throws SQLException {
        CommitFault fault;
        String sqlState;
        RandomCommitFaults random = randomCommitFaults;
        if (armedCommits.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            fault = armedFault;
            sqlState = armedState;
        } else if (random != null) {
            fault = random.draw();
            sqlState = CONNECTION_LOST;
        } else {
            return;
        }
        if (fault == null) {
            return;
        }
        if (fault == CommitFault.AFTER_COMMIT) {
            connection.commit();
            failedAfterCommit.incrementAndGet();
        } else {
            connection.rollback();
            failedInsteadOfCommit.incrementAndGet();
        }
        if (refuseConnectionsAfterFault) {
            refusingConnections = true;
        }
        onFailedCommit.run();
        throw new SQLException(CONNECTION_LOST.equals(sqlState) ? "injected: I/O error during COMMIT, connection lost"
                : "injected: COMMIT failed (" + sqlState + ")", sqlState);
    }

    /** COMMITs failed with a probability, drawn from a seeded source, while a switch is on. */
    private static final class RandomCommitFaults {
        private final double probability;
        private final SplittableRandom random;
        private final BooleanSupplier active;

        RandomCommitFaults(double probability, long seed, BooleanSupplier active) {
            this.probability = probability;
            this.random = new SplittableRandom(seed);
            this.active = active;
        }

        /** How the next COMMIT fails, or null if it does not. */
        CommitFault draw() {
            if (!active.getAsBoolean()) {
                return null;
            }
            synchronized (random) {
                if (random.nextDouble() >= probability) {
                    return null;
                }
                return random.nextBoolean() ? CommitFault.AFTER_COMMIT : CommitFault.INSTEAD_OF_COMMIT;
            }
        }
    }
}
