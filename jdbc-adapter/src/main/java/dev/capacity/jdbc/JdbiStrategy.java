package dev.capacity.jdbc;

import dev.capacity.Availability;
import dev.capacity.CapacityException;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StoreUnavailableException;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;
import dev.capacity.internal.Events;
import dev.capacity.internal.RetryBudget;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * What every JDBI strategy shares: transactions, retries, the caller's transaction, errors and
 * events. A subclass supplies the algorithm of one attempt ({@link #attempt}) and what its
 * family does on define, resize, adjust and release.
 *
 * <h2>Connections</h2>
 * Connections come from the {@link Jdbi}'s connection factory, the application's pool (see
 * {@link Connections}), or from the caller's {@link Handle}; the adapter's statements run on them
 * as plain prepared statements (see {@link Store}). Jdbi's per-statement plugins do not see them.
 *
 * <h2>Transactions</h2>
 * {@link #reserve(ReservationRequest)} runs each attempt in a transaction of its own and commits
 * it only for {@code RESERVED}; any other answer rolls it back, so nothing is written. A lost race
 * (a version check, a deadlock, a lock or statement timeout, a serialization failure) rolls back
 * and retries after a jittered backoff until the budget of {@link StrategyOptions} is spent, then
 * answers {@code CONTENDED}. {@link #reserve(Handle, ReservationRequest)} runs the same attempt
 * under a savepoint of the caller's transaction instead.
 *
 * <h2>Lost connections</h2>
 * A connection of the strategy's own that dies before its COMMIT (a terminated backend, a stale
 * connection from the pool, a network cut) took nothing with it: the attempt runs again on
 * another connection, within the same budget. If no connection can be had, the call fails with
 * {@link dev.capacity.StoreUnavailableException} after the pool's connection timeout. In the
 * caller's transaction the connection is the caller's, and so is the decision: the call fails
 * with {@code StoreUnavailableException}.
 *
 * <h2>Unknown commits</h2>
 * When the connection fails during COMMIT, the transaction may or may not have committed. The
 * attempt's reservation row is looked up by id on a fresh connection: found, it was granted. A
 * request with an idempotency key is then looked up by that key: found with another id, it is a
 * replay; not found, nothing was written and the attempt is retried. Without a key (a row not
 * found may still be committed by a COMMIT in flight), or if the lookup fails too, the answer is
 * an {@link OutcomeUnknownException}. A release, define, resize or adjust whose COMMIT fails that
 * way and cannot be resolved is an {@code OutcomeUnknownException} too, with no request.
 *
 * <p>This class is threadsafe: it holds only immutable configuration and the dialect, which it
 * detects on first use (a benign race: every thread detects the same one).
 */
abstract class JdbiStrategy implements JdbiReservationStrategy {

    private static final Logger LOG = LoggerFactory.getLogger(JdbiStrategy.class);
    private static final String SAVEPOINT = "capacity_reserve";

    final Jdbi jdbi;
    final StrategyOptions options;
    private final Connections connections;
    private final String name;
    private final String family;
    private volatile Store store;

    JdbiStrategy(StrategyKind kind, String family, Jdbi jdbi, StrategyOptions options) {
        this.name = kind.strategyName();
        this.family = family;
        this.jdbi = Arguments.requireNonNull(jdbi, "jdbi");
        this.options = Arguments.requireNonNull(options, "options");
        this.connections = new Connections(jdbi);
    }

    /**
     * One try, inside a transaction that the caller of this method commits only if the answer is
     * {@code RESERVED}. May throw; a contention failure is retried like {@link Attempt#retry}.
     * {@code joined} says the transaction is the caller's: a setting changed for the attempt must
     * then be put back, since the caller's statements run after it.
     */
    abstract Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined)
            throws SQLException;

    /** Returns the units of a reservation of this strategy's family; false if it was already released. */
    abstract boolean releaseUnits(Store store, Connection c, Store.ReleaseRow reservation, long reservationId,
                                  Instant now) throws SQLException;

    /** Resizes a resource in the given transaction. */
    abstract void resizeIn(Store store, Connection c, String resourceId, long newCapacity) throws SQLException;

    /** Adjusts a resource's capacity in the given transaction; the new capacity. */
    abstract long adjustIn(Store store, Connection c, String resourceId, long delta) throws SQLException;

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final void define(String resourceId, long capacity) {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireNonNegative(capacity, "capacity");
        String what = "defining resource '" + resourceId + "'";
        // in a transaction of its own, so that a lock or statement timeout is retried like a lost race
        inTransaction(what, null, (store, c) -> {
            if (store.insertResource(c, resourceId, family, capacity)) {
                return null;
            }
            Store.ResourceRow row = store.selectResource(c, resourceId)
                    .orElseThrow(() -> new CapacityException(what + ": it existed, then vanished"));
            requireFamily(row.family(), resourceId);
            if (row.capacity() != capacity) {
                throw new IllegalStateException("resource '" + resourceId + "' already exists with capacity "
                        + row.capacity() + ", not " + capacity + "; use resize to change it");
            }
            return null;
        }, null);
    }

    @Override
    public final void resize(String resourceId, long newCapacity) {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireNonNegative(newCapacity, "newCapacity");
        inTransaction("resizing resource '" + resourceId + "'", null, (store, c) -> {
            resizeIn(store, c, resourceId, newCapacity);
            return null;
        }, null);
    }

    @Override
    public final long adjust(String resourceId, long delta) {
        Arguments.requireId(resourceId, "resourceId");
        return adjust(null, resourceId, delta, false);
    }

    @Override
    public final long adjust(Handle handle, String resourceId, long delta) {
        requireOpen(handle);
        Arguments.requireId(resourceId, "resourceId");
        return adjust(handle.getConnection(), resourceId, delta, handle.isInTransaction());
    }

    private long adjust(Connection given, String resourceId, long delta, boolean joined) {
        String what = "adjusting resource '" + resourceId + "' by " + delta;
        if (joined) {
            try {
                return adjustIn(store(given), given, resourceId, delta);
            } catch (SQLException | RuntimeException e) {
                throw translate(what, e);
            }
        }
        return inTransaction(what, given, (store, c) -> adjustIn(store, c, resourceId, delta), null);
    }

    @Override
    public final Optional<Availability> availability(String resourceId) {
        Arguments.requireId(resourceId, "resourceId");
        return withConnection("reading resource '" + resourceId + "'", (store, c) -> store.availability(c, resourceId));
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        Arguments.requireNonNull(request, "request");
        return report(request, reserveAlone(request, null));
    }

    @Override
    public final ReservationResult reserve(Handle handle, ReservationRequest request) {
        requireOpen(handle);
        Arguments.requireNonNull(request, "request");
        requireAccepting();
        Connection connection = handle.getConnection();
        return report(request, handle.isInTransaction()
                ? reserveJoined(connection, request)
                : reserveAlone(request, connection));
    }

    @Override
    public final boolean release(long reservationId) {
        Arguments.requirePositive(reservationId, "reservationId");
        return reportRelease(reservationId, releaseAlone(reservationId, null));
    }

    @Override
    public final boolean release(Handle handle, long reservationId) {
        requireOpen(handle);
        Arguments.requirePositive(reservationId, "reservationId");
        if (!handle.isInTransaction()) {
            return reportRelease(reservationId, releaseAlone(reservationId, handle.getConnection()));
        }
        Connection connection = handle.getConnection();
        try {
            return reportRelease(reservationId, releaseIn(store(connection), connection, reservationId, now()));
        } catch (SQLException | RuntimeException e) {
            throw translate("releasing reservation " + reservationId, e);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + name + ", " + options + '}';
    }

    /** Throws if this strategy no longer accepts reservations; for strategies that can be closed. */
    void requireAccepting() {}

    /** The caller's handle must be there and open: a closed one is a bug of the caller, not an unreachable store. */
    private static void requireOpen(Handle handle) {
        Arguments.requireNonNull(handle, "handle");
        Arguments.requireArgument(!handle.isClosed(), "handle is closed; pass the open handle of the caller's transaction");
    }

    // ---- the family rule

    /** Throws if {@code resourceFamily} is not this strategy's family. */
    final void requireFamily(String resourceFamily, String resourceId) {
        if (!family.equals(resourceFamily)) {
            throw new IllegalStateException(Sql.SLOTS.equals(resourceFamily)
                    ? "resource '" + resourceId + "' was defined for unique-slots; the counter strategies "
                            + "(optimistic-version, pessimistic-lock, conditional-update) cannot use it"
                    : "resource '" + resourceId + "' was defined for the counter strategies; unique-slots "
                            + "cannot use it");
        }
    }

    /** The answer for a request whose idempotency key is already taken. */
    static Attempt replay(Store store, Connection c, ReservationRequest request) throws SQLException {
        return store.reservationByKey(c, request.idempotencyKey())
                .map(existing -> Attempt.replayOf(request, existing))
                // the key's row is committed but not visible to this transaction's snapshot
                .orElseGet(() -> Attempt.retry("idempotency key taken by a transaction this one cannot see"));
    }

    static Reservation reservation(long id, ReservationRequest request, Instant createdAt) {
        return new Reservation(id, request.resourceId(), request.holderId(), request.quantity(),
                request.idempotencyKey(), createdAt);
    }

    // ---- reserve: alone, with retries

    final ReservationResult reserveAlone(ReservationRequest request, Connection given) {
        RetryBudget budget = RetryBudget.start(options);
        for (;;) {
            int attempt = budget.beginAttempt();
            Attempt outcome = tryAlone(request, given);
            if (!outcome.isRetry()) {
                return outcome.toResult(attempt);
            }
            if (!backOff(budget, request, attempt, outcome.retryReason())) {
                return contended(attempt);
            }
        }
    }

    private Attempt tryAlone(ReservationRequest request, Connection given) {
        Connections.Lease own = given != null ? null : open(request);
        Connection c = own != null ? own.connection : given;
        try {
            Store store = store(c);
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                Attempt outcome;
                try {
                    outcome = attempt(store, c, request, now(), false);
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c);
                    if (SqlErrors.classify(e) == SqlErrors.Kind.CONTENTION) {
                        return Attempt.retry(SqlErrors.describe(e));
                    }
                    if (lostBeforeCommit(own, e)) {
                        return Attempt.retry("connection lost before commit: " + SqlErrors.describe(e));
                    }
                    throw translate(reserving(request), e);
                }
                if (!outcome.writes()) {
                    rollbackQuietly(c);
                    return outcome;
                }
                try {
                    c.commit();
                    return outcome;
                } catch (SQLException e) {
                    rollbackQuietly(c);
                    if (SqlErrors.commitMayHaveHappened(e)) {
                        return afterUnknownCommit(request, outcome.reservation(), e);
                    }
                    if (SqlErrors.classify(e) == SqlErrors.Kind.CONTENTION) {
                        return Attempt.retry("commit refused: " + SqlErrors.describe(e));
                    }
                    throw translate(reserving(request), e);
                }
            } finally {
                restoreAutoCommit(c, autoCommit);
            }
        } catch (SQLException e) {
            throw translate(reserving(request), e);
        } finally {
            close(own);
        }
    }

    /** What {@code reserve} was doing, for messages: built only when something failed. */
    private static String reserving(ReservationRequest request) {
        return "reserving " + request;
    }

    /**
     * After a COMMIT whose outcome is unknown: the reservation row is looked up by its id (found,
     * the commit happened), then by the request's key (found with another id, a replay; not
     * found, nothing was written and the attempt runs again). Without a key, a row that is not
     * found proves nothing (the COMMIT may still land), so the answer is an
     * {@link OutcomeUnknownException}.
     */
    private Attempt afterUnknownCommit(ReservationRequest request, Reservation ours, SQLException failure) {
        Optional<Reservation> found;
        try {
            found = withConnection("looking up a reservation after a failed commit", (store, c) -> {
                if (store.reservationExists(c, ours.id())) {
                    return Optional.of(ours);
                }
                return request.idempotencyKey() == null ? Optional.<Reservation>empty()
                        : store.reservationByKey(c, request.idempotencyKey());
            });
        } catch (RuntimeException lookup) {
            OutcomeUnknownException unknown = new OutcomeUnknownException(request, failure);
            unknown.addSuppressed(lookup);
            throw unknown;
        }
        LOG.debug("{}: commit of {} failed ({}); the lookup found {}", name, request, SqlErrors.describe(failure), found);
        if (found.isEmpty()) {
            if (request.idempotencyKey() == null) {
                throw new OutcomeUnknownException(request, failure);
            }
            return Attempt.retry("commit failed and did not take effect (" + SqlErrors.describe(failure) + ")");
        }
        Reservation existing = found.get();
        return existing.id() == ours.id()
                ? Attempt.reserved(ours, ReservationResult.UNKNOWN_AVAILABLE)
                : Attempt.replayOf(request, existing);
    }

    // ---- reserve: inside the caller's transaction

    private ReservationResult reserveJoined(Connection c, ReservationRequest request) {
        String what = "reserving " + request + " in the caller's transaction";
        RetryBudget budget = RetryBudget.start(options);
        try {
            Store store = store(c);
            for (;;) {
                int attempt = budget.beginAttempt();
                Savepoint savepoint = c.setSavepoint(SAVEPOINT);
                Attempt outcome;
                try {
                    outcome = attempt(store, c, request, now(), true);
                } catch (SQLException | RuntimeException e) {
                    undo(c, savepoint, what, e);
                    if (SqlErrors.classify(e) == SqlErrors.Kind.CONTENTION) {
                        // never wait and retry while the caller's locks are held
                        return contended(attempt);
                    }
                    throw translate(what, e);
                }
                if (outcome.writes()) {
                    c.releaseSavepoint(savepoint);
                    return outcome.toResult(attempt);
                }
                undo(c, savepoint, what, null);
                if (!outcome.isRetry()) {
                    return outcome.toResult(attempt);
                }
                if (!readsFreshData(c) || !backOff(budget, request, attempt, outcome.retryReason())) {
                    return contended(attempt);
                }
            }
        } catch (SQLException e) {
            throw translate(what, e);
        }
    }

    /** Rolls back to the savepoint and releases it, so the caller's transaction is as it was. */
    private void undo(Connection c, Savepoint savepoint, String what, Exception cause) {
        try {
            c.rollback(savepoint);
            c.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            RuntimeException failure = translate(what, e);
            if (cause != null) {
                failure.addSuppressed(cause);
            }
            throw failure;
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

    // ---- release

    private boolean releaseAlone(long reservationId, Connection given) {
        Instant[] stamp = new Instant[1];
        return inTransaction("releasing reservation " + reservationId, given, (store, c) -> {
            stamp[0] = now();
            return releaseIn(store, c, reservationId, stamp[0]);
        }, failure -> {
            // the commit may have happened: our release is the one whose stamp is recorded
            Optional<Instant> releasedAt = withConnection("checking a release",
                    (store, c) -> store.releasedAt(c, reservationId));
            if (releasedAt.isEmpty()) {
                return null;
            }
            return releasedAt.get().equals(stamp[0]);
        });
    }

    private boolean releaseIn(Store store, Connection c, long reservationId, Instant now) throws SQLException {
        Optional<Store.ReleaseRow> row = store.reservationForRelease(c, reservationId);
        if (row.isEmpty() || row.get().released()) {
            return false;
        }
        Store.ReleaseRow reservation = row.get();
        if (reservation.family() == null) {
            throw new IllegalStateException("reservation " + reservationId + " refers to resource '"
                    + reservation.resourceId() + "', which does not exist");
        }
        requireFamily(reservation.family(), reservation.resourceId());
        return releaseUnits(store, c, reservation, reservationId, now);
    }

    // ---- plumbing

    /** Work on a connection, in a transaction or not; may throw SQLException. */
    @FunctionalInterface
    interface Work<T> {
        T run(Store store, Connection c) throws SQLException;
    }

    @FunctionalInterface
    private interface UnknownCommit<T> {
        /** The truth after a failed commit, or null if the work did not take effect and may be retried. */
        T resolve(SQLException failure);
    }

    /**
     * Runs {@code work} in a transaction of its own, retrying lost races within the budget. When
     * the COMMIT fails with the connection, {@code unknown} finds out what happened; without one
     * (null) the caller gets an {@link OutcomeUnknownException}.
     */
    private <T> T inTransaction(String what, Connection given, Work<T> work, UnknownCommit<T> unknown) {
        RetryBudget budget = RetryBudget.start(options);
        for (;;) {
            int attempt = budget.beginAttempt();
            Exception lost;
            Connections.Lease own = given != null ? null : open(what);
            Connection c = own != null ? own.connection : given;
            try {
                Store store = store(c);
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(false);
                try {
                    T value = work.run(store, c);
                    try {
                        c.commit();
                        return value;
                    } catch (SQLException e) {
                        rollbackQuietly(c);
                        if (!SqlErrors.commitMayHaveHappened(e)) {
                            throw e;
                        }
                        if (unknown == null) {
                            throw new OutcomeUnknownException(what, e);
                        }
                        T resolved;
                        try {
                            resolved = unknown.resolve(e);
                        } catch (OutcomeUnknownException resolution) {
                            throw resolution;
                        } catch (RuntimeException resolution) {
                            // the lookup failed too (the store is gone, say): the COMMIT may or may
                            // not have happened, which is not what StoreUnavailableException says
                            OutcomeUnknownException failure = new OutcomeUnknownException(what, e);
                            failure.addSuppressed(resolution);
                            throw failure;
                        }
                        if (resolved != null) {
                            return resolved;
                        }
                        lost = e;
                    }
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c);
                    if (SqlErrors.classify(e) != SqlErrors.Kind.CONTENTION && !lostBeforeCommit(own, e)) {
                        throw translate(what, e);
                    }
                    lost = e;
                } finally {
                    restoreAutoCommit(c, autoCommit);
                }
            } catch (SQLException e) {
                throw translate(what, e);
            } finally {
                close(own);
            }
            long backoff = budget.nextBackoffNanos();
            if (backoff == RetryBudget.SPENT || !RetryBudget.sleep(backoff)) {
                throw new CapacityException(what + " gave up after " + attempt + " attempts: "
                        + SqlErrors.describe(lost), lost);
            }
        }
    }

    /**
     * Whether {@code failure} is the connection of our own transaction dying before its COMMIT
     * (a terminated backend, a stale connection from the pool, a network cut): nothing was
     * written, so the work may run again on another connection, within the retry budget. If the
     * store is really gone, the next attempt fails to get a connection and that is thrown. Never
     * in the caller's transaction, which is lost with its connection, and never for an unknown
     * COMMIT (reported as {@link OutcomeUnknownException}, a library exception).
     */
    static boolean lostBeforeCommit(Connections.Lease own, Exception failure) {
        return own != null && !(failure instanceof CapacityException)
                && SqlErrors.classify(failure) == SqlErrors.Kind.UNAVAILABLE;
    }

    /** Runs {@code work} on a connection of its own, each statement committing on its own. */
    final <T> T withConnection(String what, Work<T> work) {
        Connections.Lease own = open(what);
        try {
            Connection c = own.connection;
            return work.run(store(c), c);
        } catch (SQLException | RuntimeException e) {
            throw translate(what, e);
        } finally {
            close(own);
        }
    }

    /** Sleeps the next backoff and reports the retry; false if the budget is spent or the thread interrupted. */
    private boolean backOff(RetryBudget budget, ReservationRequest request, int attempt, String reason) {
        long backoff = budget.nextBackoffNanos();
        if (backoff == RetryBudget.SPENT) {
            return false;
        }
        Events.retried(options.listener(), name, request, attempt, backoff, reason);
        return RetryBudget.sleep(backoff);
    }

    final Store store(Connection c) throws SQLException {
        Store detected = store;
        if (detected == null) {
            detected = new Store(new Sql(Dialect.detect(c), options));
            store = detected;
        }
        return detected;
    }

    final Instant now() {
        return options.clock().instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** A connection of the strategy's own, from the application's pool (see {@link Connections}). */
    final Connections.Lease open(String what) {
        try {
            return connections.open();
        } catch (SQLException | RuntimeException e) {
            throw translate(what, e);
        }
    }

    private Connections.Lease open(ReservationRequest request) {
        try {
            return connections.open();
        } catch (SQLException | RuntimeException e) {
            throw translate(reserving(request), e);
        }
    }

    static void close(Connections.Lease own) {
        if (own != null) {
            own.close();
        }
    }

    /** Turns a failure into what the caller of this library sees; its own exceptions pass unchanged. */
    final RuntimeException translate(String what, Exception failure) {
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
                Sql sql = store == null ? new Sql(Dialect.H2, options) : store.sql;
                String arguments = options.tablePrefix().equals(StrategyOptions.DEFAULT_TABLE_PREFIX)
                        ? "jdbi" : "jdbi, options";
                return new IllegalStateException("the capacity tables (" + sql.resourceTable + ", "
                        + sql.reservationTable + ", " + sql.slotTable + ") do not exist in this database; "
                        + "run CapacitySchema.install(" + arguments + ") or apply CapacitySchema.ddl(" + arguments
                        + ") first", failure);
            case CONTENTION:
                return new CapacityException(what + " lost a race it could not retry ("
                        + SqlErrors.describe(failure) + ")", failure);
            default:
                return new CapacityException("unexpected database error while " + what + " ("
                        + SqlErrors.describe(failure) + ")", failure);
        }
    }

    static ReservationResult contended(int attempts) {
        return new ReservationResult(Status.CONTENDED, null, ReservationResult.UNKNOWN_AVAILABLE, attempts);
    }

    final ReservationResult report(ReservationRequest request, ReservationResult result) {
        Events.outcome(options.listener(), name, request, result);
        return result;
    }

    private boolean reportRelease(long reservationId, boolean released) {
        if (released) {
            Events.released(options.listener(), name, reservationId);
        }
        return released;
    }

    static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("rollback failed; the connection is probably gone", e);
        }
    }

    static void restoreAutoCommit(Connection c, boolean autoCommit) {
        try {
            if (autoCommit) {
                c.setAutoCommit(true);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("restoring auto-commit failed; the connection is probably gone", e);
        }
    }
}
