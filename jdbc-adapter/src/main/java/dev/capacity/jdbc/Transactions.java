package dev.capacity.jdbc;

import dev.capacity.CapacityException;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.StoreUnavailableException;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.RetryBudget;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.function.Consumer;

/**
 * The one place that runs the adapter's transactions: every strategy, the combiner and the audit
 * hand it a {@link Unit} of work, and it owns the connection, the commit or rollback, what a
 * failure means, the retries and the lookup after a COMMIT of unknown outcome.
 *
 * <ul>
 *   <li>{@link #inOwnTransaction}: auto-commit off, the work, then commit or roll back as the
 *       work's {@link Step} says; a lost race (a SQLSTATE of contention, or a step that says so)
 *       rolls back and runs again after a jittered backoff, within the budget of
 *       {@link StrategyOptions}; so does a connection of our own that dies before its COMMIT,
 *       which took nothing with it. A COMMIT that fails in a way that may have committed is
 *       resolved by the unit ({@link Unit#afterUnknownCommit}), never simply run again.</li>
 *   <li>{@link #inCallersTransaction}: the work under a savepoint of the caller's transaction,
 *       rolled back to for any step that writes nothing and for any failure, so the caller's
 *       transaction stays usable. The database's contention there (a deadlock, a lock timeout, a
 *       serialization failure) is never waited out while the caller's locks are held; a race the
 *       library found lost (a version check, a mark made behind a release) runs again only where
 *       every statement reads fresh data (READ COMMITTED or weaker).</li>
 *   <li>{@link #onConnection}: statements that each commit on their own (reads, lookups).</li>
 *   <li>{@link #translate}: what the caller of the library sees for a failure.</li>
 * </ul>
 *
 * <p>The listener's events that the work finds ({@link AfterCommit}) are held per attempt: told
 * once a transaction of our own committed (or the lookup after an unknown COMMIT found this
 * attempt's own), dropped with an attempt that rolled back; in the caller's transaction, handed to
 * the caller's handle to be told after the caller commits.
 *
 * <p>This class is threadsafe: it holds immutable configuration and the {@link Store}, which it
 * builds on first use from the dialect of the first connection (a benign race: every thread
 * builds the same one).
 */
final class Transactions {

    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);
    private static final String SAVEPOINT = "capacity";

    /** {@link Unit#isolation()} when the unit runs at the connection's isolation level. */
    static final int CONNECTION_ISOLATION = -1;

    private final ConnectionSource connections;
    private final StrategyOptions options;
    private final String name;
    private volatile Store store;

    /** Transactions on {@code connections}, whose stock events go to the options' listener as {@code name}'s. */
    Transactions(ConnectionSource connections, StrategyOptions options, String name) {
        this.connections = connections;
        this.options = options;
        this.name = name;
    }

    StrategyOptions options() {
        return options;
    }

    /**
     * What one run of a unit asks of its transaction: keep what it wrote ({@link #keep}), write
     * nothing ({@link #discard}), or run again ({@link #lostRace}).
     */
    record Step<T>(T value, boolean keep, String lostRace) {

        /** The work wrote what {@code value} reports: commit it (or, in the caller's transaction, keep it). */
        static <T> Step<T> keep(T value) {
            return new Step<>(value, true, null);
        }

        /** The answer is {@code value} and nothing is to be written: roll back. */
        static <T> Step<T> discard(T value) {
            return new Step<>(value, false, null);
        }

        /** Lost a race: roll back and run again, within the budget. */
        static <T> Step<T> lostRace(String reason) {
            return new Step<>(null, false, reason);
        }
    }

    /**
     * Work to run in a transaction, and what its outcomes mean. The defaults suit work that must
     * commit and that nobody can look up after an unknown COMMIT (a define, a resize).
     */
    abstract static class Unit<T> {

        /** What the work does, for messages: "reserving ...". Called only when something failed. */
        abstract String what();

        /** One run of the work on {@code c}, which is in a transaction; {@code attempt} counts from 1. */
        abstract Step<T> run(Store store, Connection c, int attempt) throws SQLException;

        /**
         * After a COMMIT that may or may not have happened (the connection failed, or it was
         * cancelled): the truth, found on another connection, given what this run would have
         * committed; or null if it did not happen and the work may run again. Throws
         * {@link OutcomeUnknownException} if nobody can tell.
         */
        T afterUnknownCommit(T committed, SQLException failure) {
            throw unknownOutcome(failure);
        }

        /**
         * Whether {@code truth}, found by {@link #afterUnknownCommit}, says that this run's own
         * COMMIT took effect (and not, say, another caller's with the same idempotency key): only
         * then are the events of the run told.
         */
        boolean landed(T committed, T truth) {
            return true;
        }

        /** The exception for a COMMIT whose outcome nobody can tell. */
        OutcomeUnknownException unknownOutcome(SQLException failure) {
            return new OutcomeUnknownException(what(), failure);
        }

        /**
         * The answer when the work lost its last race: the retry budget is spent, the thread was
         * interrupted, or it ran in the caller's transaction, where it is not retried.
         * {@code failure} is null when a step said so rather than the database.
         */
        T givenUp(int attempts, String reason, Exception failure) {
            throw new CapacityException(what() + " gave up after " + attempts + (attempts == 1 ? " attempt: " : " attempts: ")
                    + reason + "; nothing was written, running it again is safe", failure);
        }

        /** Told before each backoff, with the reason of the lost race. */
        void retrying(int attempt, long backoffNanos, String reason) {
            LOG.debug("{}: attempt {} lost a race ({}), retrying in {} us", what(), attempt, reason, backoffNanos / 1000);
        }

        /** The isolation level to run at, or {@link #CONNECTION_ISOLATION}. */
        int isolation() {
            return CONNECTION_ISOLATION;
        }
    }

    /** A unit that always commits what it did: a change of capacity, an install. */
    static <T> Unit<T> writing(String what, Work<T> work) {
        return new Unit<>() {
            @Override
            String what() {
                return what;
            }

            @Override
            Step<T> run(Store store, Connection c, int attempt) throws SQLException {
                return Step.keep(work.run(store, c));
            }
        };
    }

    /** Statements on a connection; may throw SQLException. */
    @FunctionalInterface
    interface Work<T> {
        T run(Store store, Connection c) throws SQLException;
    }

    // ---- a transaction of our own

    /**
     * Runs {@code unit} in transactions of its own until it is decided or its budget is spent.
     * On {@code given} (a caller's connection that is not in a transaction) if not null,
     * otherwise on a connection of the strategy's own for each attempt.
     */
    <T> T inOwnTransaction(Connection given, Unit<T> unit) {
        RetryBudget budget = RetryBudget.start(options);
        for (;;) {
            int attempt = budget.beginAttempt();
            AfterCommit events = AfterCommit.open(options.listener(), name);
            Run<T> run;
            try {
                run = runOnce(given, unit, attempt);
            } finally {
                events.close();
            }
            if (run.decided()) {
                if (run.committed()) {
                    events.tell();
                }
                return run.value();
            }
            long backoff = budget.nextBackoffNanos();
            if (backoff == RetryBudget.SPENT) {
                return unit.givenUp(attempt, run.reason(), run.failure());
            }
            unit.retrying(attempt, backoff, run.reason());
            if (!RetryBudget.sleep(backoff)) {
                return unit.givenUp(attempt, "interrupted while backing off after: " + run.reason(), run.failure());
            }
        }
    }

    /**
     * The outcome of one attempt: decided with a value, and whether what the attempt wrote
     * committed (its events are then told); or lost, to run again.
     */
    private record Run<T>(boolean decided, boolean committed, T value, String reason, Exception failure) {

        static <T> Run<T> committed(T value) {
            return new Run<>(true, true, value, null, null);
        }

        static <T> Run<T> rolledBack(T value) {
            return new Run<>(true, false, value, null, null);
        }

        static <T> Run<T> lost(String reason, Exception failure) {
            return new Run<>(false, false, null, reason, failure);
        }
    }

    private <T> Run<T> runOnce(Connection given, Unit<T> unit, int attempt) {
        ConnectionSource.Lease own = given != null ? null : open(unit);
        Connection c = own != null ? own.connection() : given;
        try {
            boolean autoCommit = true;
            int isolation = CONNECTION_ISOLATION;
            Step<T> step;
            try {
                Store store = store(c);
                autoCommit = c.getAutoCommit();
                isolation = setIsolation(c, unit.isolation() != CONNECTION_ISOLATION ? unit.isolation()
                        : store.sql.dialect.isolation());
                c.setAutoCommit(false);
                step = unit.run(store, c, attempt);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                restore(c, autoCommit, isolation);
                if (isLostRace(e)) {
                    return Run.lost(SqlErrors.describe(e), e);
                }
                if (own != null && lostConnection(e)) {
                    // nothing was committed on it: run again on another connection (or fail to get one)
                    return Run.lost("connection lost before commit: " + SqlErrors.describe(e), e);
                }
                throw translate(unit.what(), e);
            }
            try {
                return finish(c, unit, step);
            } finally {
                restore(c, autoCommit, isolation);
            }
        } finally {
            if (own != null) {
                own.close();
            }
        }
    }

    /** Commits or rolls back as {@code step} asks. */
    private <T> Run<T> finish(Connection c, Unit<T> unit, Step<T> step) {
        if (!step.keep()) {
            rollbackQuietly(c);
            return step.lostRace() != null ? Run.lost(step.lostRace(), null) : Run.rolledBack(step.value());
        }
        try {
            c.commit();
            return Run.committed(step.value());
        } catch (SQLException e) {
            rollbackQuietly(c);
            if (SqlErrors.commitMayHaveHappened(e)) {
                return afterUnknownCommit(unit, step.value(), e);
            }
            if (isLostRace(e)) {
                return Run.lost("commit refused: " + SqlErrors.describe(e), e);
            }
            throw translate(unit.what(), e);
        }
    }

    private <T> Run<T> afterUnknownCommit(Unit<T> unit, T committed, SQLException failure) {
        T truth;
        try {
            truth = unit.afterUnknownCommit(committed, failure);
        } catch (OutcomeUnknownException e) {
            throw e;
        } catch (RuntimeException lookup) {
            // the lookup failed too (the store is gone, say): the COMMIT may or may not have
            // happened, which is not what StoreUnavailableException says
            OutcomeUnknownException unknown = unit.unknownOutcome(failure);
            unknown.addSuppressed(lookup);
            throw unknown;
        }
        LOG.debug("{}: the COMMIT failed ({}); the lookup found {}", unit.what(), SqlErrors.describe(failure), truth);
        return truth != null ? (unit.landed(committed, truth) ? Run.committed(truth) : Run.rolledBack(truth))
                : Run.lost("the COMMIT failed and did not take effect (" + SqlErrors.describe(failure) + ")", failure);
    }

    // ---- the caller's transaction

    /**
     * Runs {@code unit} inside the caller's transaction on {@code c}, under a savepoint: what it
     * keeps commits or rolls back with the caller's transaction; anything else is rolled back to
     * the savepoint, so the caller's transaction is as it was. The events of what it kept (and of
     * its retries) go to {@code afterCallerCommits}, to be told once the caller commits.
     */
    <T> T inCallersTransaction(Connection c, Unit<T> unit, Consumer<Runnable> afterCallerCommits) {
        AfterCommit events = AfterCommit.open(options.listener(), name);
        T value;
        try {
            value = inCallersTransaction(c, unit, events);
        } finally {
            events.close();
        }
        // a call that threw wrote nothing: its events (retries before the failure) are dropped, and
        // the handle, whose transaction the database may have ended, is not asked for anything
        if (!events.isEmpty()) {
            afterCallerCommits.accept(events::tell);
        }
        return value;
    }

    private <T> T inCallersTransaction(Connection c, Unit<T> unit, AfterCommit events) {
        RetryBudget budget = RetryBudget.start(options);
        try {
            Store store = store(c);
            requireIsolation(c, store.sql.dialect, unit);
            for (;;) {
                int attempt = budget.beginAttempt();
                int mark = events.mark();
                Savepoint savepoint = c.setSavepoint(SAVEPOINT);
                Step<T> step = null;
                String lost = null;
                try {
                    step = unit.run(store, c, attempt);
                } catch (SQLException | RuntimeException e) {
                    events.dropFrom(mark);
                    rollbackTo(c, savepoint, unit, e);
                    if (!isLostRace(e)) {
                        throw translate(unit.what(), e);
                    }
                    if (!(e instanceof Jdbc.LostRace race)) {
                        // the database's contention: never wait and run again while the caller's locks are held
                        return unit.givenUp(attempt, SqlErrors.describe(e) + " in the caller's transaction, "
                                + "which is not retried while its locks are held", e);
                    }
                    // a race the library found, not the database: it runs again as a step that lost one does
                    lost = race.race();
                }
                if (step != null) {
                    if (step.keep()) {
                        c.releaseSavepoint(savepoint);
                        return step.value();
                    }
                    events.dropFrom(mark);
                    rollbackTo(c, savepoint, unit, null);
                    if (step.lostRace() == null) {
                        return step.value();
                    }
                    lost = step.lostRace();
                }
                if (!readsFreshData(c)) {
                    return unit.givenUp(attempt, lost + " in the caller's transaction, whose isolation "
                            + "level would read the same again", null);
                }
                long backoff = budget.nextBackoffNanos();
                if (backoff == RetryBudget.SPENT) {
                    return unit.givenUp(attempt, lost, null);
                }
                unit.retrying(attempt, backoff, lost);
                if (!RetryBudget.sleep(backoff)) {
                    return unit.givenUp(attempt, "interrupted while backing off after: " + lost, null);
                }
            }
        } catch (SQLException e) {
            throw translate(unit.what(), e);
        }
    }

    /**
     * Rolls back to the savepoint and releases it, so the caller's transaction is as it was;
     * unless the database has already rolled back the whole transaction (InnoDB does for a
     * deadlock): then nothing of the caller's transaction is left to keep, and the caller is told.
     */
    private void rollbackTo(Connection c, Savepoint savepoint, Unit<?> unit, Exception cause) {
        try {
            c.rollback(savepoint);
            c.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            RuntimeException failure = cause != null && isLostRace(cause)
                    ? new CapacityException(unit.what() + " lost a race (" + SqlErrors.describe(cause) + ") that made the"
                            + " database roll back the caller's whole transaction: everything it wrote is undone; run"
                            + " the transaction again", cause)
                    : translate(unit.what(), e);
            if (cause != null && failure.getCause() != cause) {
                failure.addSuppressed(cause);
            } else {
                failure.addSuppressed(e);
            }
            throw failure;
        }
    }

    /**
     * Throws if the caller's transaction runs at an isolation level above the one the dialect's
     * statements need ({@link Dialect#isolation()}): on MariaDB and MySQL, InnoDB's REPEATABLE
     * READ would decide on an old snapshot and take the gap locks that deadlock inserts.
     */
    private static void requireIsolation(Connection c, Dialect dialect, Unit<?> unit) throws SQLException {
        int needed = dialect.isolation();
        if (needed == CONNECTION_ISOLATION) {
            return;
        }
        int level = c.getTransactionIsolation();
        if (level > needed) {
            throw new IllegalStateException(unit.what() + ": the caller's transaction runs at " + isolationName(level)
                    + ", and on " + dialect.product() + " a call that joins a transaction needs " + isolationName(needed)
                    + " or lower (InnoDB's REPEATABLE READ reads an old snapshot and takes gap locks that deadlock"
                    + " inserts); begin the transaction at " + isolationName(needed) + ", e.g. with"
                    + " handle.setTransactionIsolationLevel(TransactionIsolationLevel.READ_COMMITTED) before begin(),"
                    + " or set the pool's transactionIsolation");
        }
    }

    private static String isolationName(int level) {
        switch (level) {
            case Connection.TRANSACTION_READ_UNCOMMITTED:
                return "READ UNCOMMITTED";
            case Connection.TRANSACTION_READ_COMMITTED:
                return "READ COMMITTED";
            case Connection.TRANSACTION_REPEATABLE_READ:
                return "REPEATABLE READ";
            case Connection.TRANSACTION_SERIALIZABLE:
                return "SERIALIZABLE";
            default:
                return "isolation level " + level;
        }
    }

    /** Whether each statement of the caller's transaction sees data committed before it started. */
    private static boolean readsFreshData(Connection c) {
        try {
            return c.getTransactionIsolation() <= Connection.TRANSACTION_READ_COMMITTED;
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * Reads, after a COMMIT of unknown outcome, what it wrote, in a transaction of its own that
     * writes nothing; {@code work} locks the rows it reads, so that the COMMIT, if it is still in
     * flight on the server, has landed or rolled back before they are read. The client can see
     * its connection fail while the server still commits: MariaDB's {@code KILL CONNECTION} shuts
     * the socket at once and lets the session's thread finish the COMMIT it runs, and a network
     * cut does the same on any database. A lookup that read without the lock could find nothing
     * yet, and the work would then run again over its own landed COMMIT (a release answered
     * false, a confirm ALREADY_CONFIRMED: found by the fault suite on MariaDB). Lost races (a
     * lock timeout) are retried within the budget, as any transaction's.
     */
    <T> T lookUp(String what, Work<T> work) {
        return inOwnTransaction(null, new Unit<T>() {
            @Override
            String what() {
                return what;
            }

            @Override
            Step<T> run(Store store, Connection c, int attempt) throws SQLException {
                return Step.discard(work.run(store, c));
            }
        });
    }

    // ---- statements without a transaction

    /** Runs {@code work} on a connection of its own, each statement committing on its own. */
    <T> T onConnection(String what, Work<T> work) {
        ConnectionSource.Lease own = open(what);
        try {
            Connection c = own.connection();
            return work.run(store(c), c);
        } catch (SQLException | RuntimeException e) {
            throw translate(what, e);
        } finally {
            own.close();
        }
    }

    // ---- failures

    /** Turns a failure into what the caller of this library sees; the library's own exceptions pass unchanged. */
    RuntimeException translate(String what, Exception failure) {
        if (failure instanceof CapacityException || failure instanceof IllegalArgumentException
                || failure instanceof IllegalStateException || failure instanceof NullPointerException
                || failure instanceof UnsupportedOperationException) {
            return (RuntimeException) failure;
        }
        switch (SqlErrors.classify(failure)) {
            case UNAVAILABLE:
                return new StoreUnavailableException("cannot reach the database while " + what + " ("
                        + SqlErrors.describe(failure) + "); nothing was written", failure);
            case MISSING_SCHEMA:
                String prefix = options.tablePrefix();
                String arguments = prefix.equals(StrategyOptions.DEFAULT_TABLE_PREFIX) ? "jdbi" : "jdbi, options";
                return new IllegalStateException("the capacity tables (" + prefix + "resource, " + prefix
                        + "reservation, " + prefix + "slot) do not exist in this database; run CapacitySchema.install("
                        + arguments + ") or apply CapacitySchema.ddl(" + arguments + ") first", failure);
            case CONTENTION:
                return new CapacityException(what + " lost a race it could not retry ("
                        + SqlErrors.describe(failure) + ")", failure);
            default:
                return new CapacityException("unexpected database error while " + what + " ("
                        + SqlErrors.describe(failure) + ")", failure);
        }
    }

    /** A lost race: a serialization failure, a deadlock, a lock or statement timeout. Nothing was written. */
    private static boolean isLostRace(Exception failure) {
        return SqlErrors.classify(failure) == SqlErrors.Kind.CONTENTION;
    }

    /**
     * Whether {@code failure} is the connection failing (a terminated backend, a stale
     * connection from the pool, a network cut), rather than one of the library's own exceptions
     * that say so (a lookup's {@link StoreUnavailableException} is final).
     */
    private static boolean lostConnection(Exception failure) {
        return !(failure instanceof CapacityException) && SqlErrors.classify(failure) == SqlErrors.Kind.UNAVAILABLE;
    }

    // ---- connections

    Store store(Connection c) throws SQLException {
        Store detected = store;
        if (detected == null) {
            detected = new Store(new Sql(Dialect.detect(c), options));
            store = detected;
        }
        return detected;
    }

    private ConnectionSource.Lease open(Unit<?> unit) {
        try {
            return connections.open();
        } catch (SQLException | RuntimeException e) {
            throw translate(unit.what(), e);
        }
    }

    private ConnectionSource.Lease open(String what) {
        try {
            return connections.open();
        } catch (SQLException | RuntimeException e) {
            throw translate(what, e);
        }
    }

    /** Sets the isolation level a unit asks for; the one to restore, or {@link #CONNECTION_ISOLATION}. */
    private static int setIsolation(Connection c, int isolation) throws SQLException {
        if (isolation == CONNECTION_ISOLATION) {
            return CONNECTION_ISOLATION;
        }
        int previous = c.getTransactionIsolation();
        if (previous == isolation) {
            return CONNECTION_ISOLATION;
        }
        c.setTransactionIsolation(isolation);
        return previous;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("rollback failed; the connection is probably gone", e);
        }
    }

    /** Puts back auto-commit and the isolation level, as the connection's owner had them. */
    private static void restore(Connection c, boolean autoCommit, int isolation) {
        try {
            if (autoCommit) {
                c.setAutoCommit(true);
            }
            if (isolation != CONNECTION_ISOLATION) {
                c.setTransactionIsolation(isolation);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("restoring the connection's settings failed; it is probably gone", e);
        }
    }
}
