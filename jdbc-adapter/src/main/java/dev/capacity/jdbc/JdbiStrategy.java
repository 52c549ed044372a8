package dev.capacity.jdbc;

import dev.capacity.Availability;
import dev.capacity.CapacityException;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;
import dev.capacity.internal.Events;
import dev.capacity.internal.Holds;
import dev.capacity.internal.Orders;

import org.jdbi.v3.core.Handle;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What every JDBI strategy shares: the public operations, each run by {@link Transactions} as a
 * unit of work, the family rule, and events. A subclass supplies the algorithm of one attempt
 * ({@link #attempt}) and what its family does on release, resize and adjust.
 *
 * <p>{@link #reserve(ReservationRequest)} runs each attempt in a transaction of its own and commits
 * it only for {@code RESERVED}; any other answer rolls it back, so nothing is written. A lost race
 * is retried within the budget of {@link StrategyOptions}, then answered {@code CONTENDED}.
 * {@link #reserve(Handle, ReservationRequest)} runs the same attempt under a savepoint of the
 * caller's transaction. When a COMMIT fails with its connection, the attempt's reservation row is
 * looked up by id on another connection (found: it was granted), then by the request's
 * idempotency key (found with another id: a replay; not found: nothing was written and the
 * attempt runs again); without a key the answer is an {@link OutcomeUnknownException}.
 *
 * <p>This class is threadsafe: it holds only immutable configuration and the runner.
 */
abstract class JdbiStrategy implements JdbiReservationStrategy {

    /** How many resources with expired holds a sweep takes up at a time. */
    private static final int SWEEP_RESOURCES = 100;


    final StrategyOptions options;
    final Transactions transactions;
    private final String name;
    private final String family;

    JdbiStrategy(StrategyKind kind, String family, ConnectionSource connections, StrategyOptions options) {
        this.name = kind.strategyName();
        this.family = family;
        this.options = Arguments.requireNonNull(options, "options");
        this.transactions = new Transactions(Arguments.requireNonNull(connections, "connections"), options, kind.strategyName());
    }

    /**
     * One try, inside a transaction that is committed (or kept) only if the answer is
     * {@code RESERVED}. May throw; a contention failure is a lost race like {@link Attempt#retry}.
     * {@code joined} says the transaction is the caller's: a setting changed for the attempt must
     * then be put back, since the caller's statements run after it.
     */
    abstract Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined)
            throws SQLException;

    /**
     * {@link #attempt(Store, Connection, ReservationRequest, Instant, boolean)}, told which try of
     * the call it is ({@code number}, from 1): a strategy may try differently once it has lost a
     * race. Here, every try is the same.
     */
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined, int number)
            throws SQLException {
        return attempt(store, c, request, now, joined);
    }

    /**
     * One resource's part of an order, inside the order's transaction, after every line's
     * reservation row is in ({@code ids}, by line): its units taken as this strategy takes a
     * single request's, and {@link OrderPart#holderLimit} set; null if taken, otherwise the
     * refusal or lost race. The holders' units are the caller's to take.
     */
    abstract Attempt takePart(Store store, Connection c, OrderPart part, long[] ids, Instant now, boolean joined)
            throws SQLException;

    /**
     * Ends a live reservation of this strategy's family, by release or (for a hold at or past its
     * expiry) by expiry, and returns its units; false if it was not in the state that ending
     * needs any more (another transaction ended, confirmed or extended it first).
     */
    abstract boolean endReservation(Store store, Connection c, ReservationRows.State reservation, long reservationId,
                                    Instant now, boolean byExpiry, long releaseToken) throws SQLException;

    /**
     * Ends the live holds of a resource of this family that expired at {@code now} and returns
     * their units; holds that another transaction has locked are skipped. The units reclaimed.
     */
    final long reclaimExpired(Store store, Connection c, String resourceId, Instant now) throws SQLException {
        return ExpiredHolds.reclaim(store, c, resourceId, family, now, id -> holdEnded(id, HoldStatus.EXPIRED));
    }

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
        transactions.inOwnTransaction(null, Transactions.writing(what, (store, c) -> {
            if (store.resources.insert(c, resourceId, family, capacity)) {
                return null;
            }
            ResourceRow row = store.resources.select(c, resourceId)
                    .orElseThrow(() -> new CapacityException(what + ": it existed, then vanished"));
            requireFamily(row.family(), resourceId);
            if (row.capacity() != capacity) {
                throw new IllegalStateException("resource '" + resourceId + "' already exists with capacity "
                        + row.capacity() + ", not " + capacity + "; use resize to change it");
            }
            return null;
        }));
    }

    @Override
    public final void resize(String resourceId, long newCapacity) {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireNonNegative(newCapacity, "newCapacity");
        transactions.inOwnTransaction(null, Transactions.writing("resizing resource '" + resourceId + "'", (store, c) -> {
            resizeIn(store, c, resourceId, newCapacity);
            return null;
        }));
    }

    @Override
    public final long adjust(String resourceId, long delta) {
        Arguments.requireId(resourceId, "resourceId");
        return transactions.inOwnTransaction(null, adjusting(resourceId, delta));
    }

    @Override
    public final long adjust(Handle handle, String resourceId, long delta) {
        requireOpen(handle);
        Arguments.requireId(resourceId, "resourceId");
        return onHandle(handle, adjusting(resourceId, delta));
    }

    @Override
    public final void limitPerHolder(String resourceId, long maxUnits) {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireLimit(maxUnits, "maxUnits");
        transactions.inOwnTransaction(null, Transactions.writing("limiting the units per holder of '" + resourceId + "'",
                (store, c) -> {
                    // the exclusive lock waits for every reservation and release in flight, and they for it
                    ResourceRow row = store.resources.lock(c, resourceId).orElseThrow(
                            () -> new IllegalArgumentException("resourceId '" + resourceId + "' is not defined"));
                    requireFamily(row.family(), resourceId);
                    if (maxUnits == Long.MAX_VALUE) {
                        store.holders.drop(c, resourceId);
                    } else if (!row.isLimited()) {
                        store.holders.rebuild(c, resourceId);
                    }
                    store.resources.setHolderLimit(c, resourceId, maxUnits);
                    return null;
                }));
    }

    private Transactions.Unit<Long> adjusting(String resourceId, long delta) {
        return Transactions.writing("adjusting resource '" + resourceId + "' by " + delta,
                (store, c) -> adjustIn(store, c, resourceId, delta));
    }

    @Override
    public final Optional<Availability> availability(String resourceId) {
        Arguments.requireId(resourceId, "resourceId");
        Instant now = now();
        return transactions.onConnection("reading resource '" + resourceId + "'",
                (store, c) -> store.resources.availability(c, resourceId, now));
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        long start = System.nanoTime();
        Arguments.requireNonNull(request, "request");
        requireValidHold(request);
        Reserving reserving = new Reserving(request, false);
        ReservationResult result = report(null, request, transactions.inOwnTransaction(null, reserving), start);
        if (reserving.soldOutUnmarked) {
            markSoldOutAfter(null, request.resourceId());
        }
        return result;
    }

    /** Refuses a hold whose expiry would be out of range, before anything is written. */
    final void requireValidHold(ReservationRequest request) {
        if (request.isHold()) {
            Holds.expiry(now(), request.hold(), "ttl");
        }
    }

    /** Reserves in transactions of the strategy's own, with retries; the caller reports the outcome. */
    final ReservationResult reserveInOwnTransaction(ReservationRequest request) {
        return transactions.inOwnTransaction(null, new Reserving(request, false));
    }

    @Override
    public final ReservationResult reserve(Handle handle, ReservationRequest request) {
        long start = System.nanoTime();
        requireOpen(handle);
        Arguments.requireNonNull(request, "request");
        requireValidHold(request);
        requireAccepting();
        Reserving reserving = new Reserving(request, handle.isInTransaction());
        ReservationResult result = report(handle, request, onHandle(handle, reserving), start);
        if (reserving.soldOutUnmarked) {
            markSoldOutAfter(handle, request.resourceId());
        }
        return result;
    }

    /**
     * After a refusal that found a resource sold out and not marked so, in a transaction that
     * could not keep the mark (the caller's, an order's, which a refusal rolls back, or one above
     * READ COMMITTED, whose count could miss a release): marks it
     * in a transaction of its own, on the handle's connection if there is one, once the caller has
     * committed if the handle is in a transaction (never if it rolls back). Asked for after the
     * call is reported, so that a listener hears of the refusal before the sell-out, and the
     * call's time leaves the mark out. Only unique-slots refuses so.
     */
    private void markSoldOutAfter(Handle handle, String resourceId) {
        if (handle == null) {
            markSoldOut(null, resourceId);
        } else if (handle.isInTransaction()) {
            // the caller's connection, free again: never a second one from a pool the caller may be using up
            handle.afterCommit(() -> markSoldOut(handle.getConnection(), resourceId));
        } else {
            markSoldOut(handle.getConnection(), resourceId);
        }
    }

    /**
     * Marks a resource sold out in a transaction of its own, on {@code given} or a connection of
     * ours. Asked only of unique-slots, the family that keeps the mark, whose override never throws.
     */
    void markSoldOut(Connection given, String resourceId) {
        throw new IllegalStateException(name + " keeps no sold-out mark");
    }

    @Override
    public final OrderResult reserveAll(List<ReservationRequest> lines) {
        List<ReservationRequest> order = requireOrder(lines);
        requireAccepting();
        OrderReservation reservation = new OrderReservation(this, order, false);
        OrderResult result = reportOrder(null, order, transactions.inOwnTransaction(null, reservation));
        if (reservation.soldOutUnmarked() != null) {
            markSoldOutAfter(null, reservation.soldOutUnmarked());
        }
        return result;
    }

    @Override
    public final OrderResult reserveAll(Handle handle, List<ReservationRequest> lines) {
        requireOpen(handle);
        List<ReservationRequest> order = requireOrder(lines);
        requireAccepting();
        OrderReservation reservation = new OrderReservation(this, order, handle.isInTransaction());
        OrderResult result = reportOrder(handle, order, onHandle(handle, reservation));
        if (reservation.soldOutUnmarked() != null) {
            markSoldOutAfter(handle, reservation.soldOutUnmarked());
        }
        return result;
    }

    /** The order's lines, checked before anything is written. */
    private List<ReservationRequest> requireOrder(List<ReservationRequest> lines) {
        List<ReservationRequest> order = Orders.requireLines(lines);
        for (ReservationRequest line : order) {
            requireValidHold(line);
        }
        return order;
    }

    /** Tells the listener each line's outcome: its reservation, or the order's refusal. */
    private OrderResult reportOrder(Handle handle, List<ReservationRequest> lines, OrderResult order) {
        tell(handle, () -> Events.order(options.listener(), name, lines, order));
        return order;
    }

    @Override
    public final boolean release(long reservationId) {
        Arguments.requirePositive(reservationId, "reservationId");
        return reportRelease(null, reservationId, transactions.inOwnTransaction(null, new Releasing(reservationId)));
    }

    @Override
    public final boolean release(Handle handle, long reservationId) {
        requireOpen(handle);
        Arguments.requirePositive(reservationId, "reservationId");
        return reportRelease(handle, reservationId, onHandle(handle, new Releasing(reservationId)));
    }

    @Override
    public final HoldStatus confirm(long reservationId) {
        Arguments.requirePositive(reservationId, "reservationId");
        return transactions.inOwnTransaction(null, new ChangingHold(reservationId, null));
    }

    @Override
    public final HoldStatus confirm(Handle handle, long reservationId) {
        requireOpen(handle);
        Arguments.requirePositive(reservationId, "reservationId");
        return onHandle(handle, new ChangingHold(reservationId, null));
    }

    @Override
    public final HoldStatus extend(long reservationId, Duration ttl) {
        Arguments.requirePositive(reservationId, "reservationId");
        Holds.expiry(now(), ttl, "ttl");
        return transactions.inOwnTransaction(null, new ChangingHold(reservationId, ttl));
    }

    @Override
    public final long sweepExpiredHolds() {
        Instant now = now();
        long swept = 0;
        for (;;) {
            List<String> resources = transactions.onConnection("finding expired holds",
                    (store, c) -> store.reservations.resourcesWithExpired(c, now, SWEEP_RESOURCES));
            long before = swept;
            for (String resourceId : resources) {
                swept += transactions.inOwnTransaction(null, Transactions.writing(
                        "sweeping the expired holds of '" + resourceId + "'", (store, c) -> {
                            Optional<ResourceRow> row = store.resources.select(c, resourceId);
                            if (row.isEmpty() || !family.equals(row.get().family())) {
                                return 0L;  // the other family's holds are its strategy's to sweep
                            }
                            long[] holds = {0};
                            ExpiredHolds.reclaim(store, c, resourceId, family, now, id -> {
                                holds[0]++;
                                holdEnded(id, HoldStatus.EXPIRED);
                            });
                            return holds[0];
                        }));
            }
            if (resources.size() < SWEEP_RESOURCES || swept == before) {
                return swept;
            }
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

    /**
     * In the caller's transaction if the handle is in one, its events told once the caller
     * commits; otherwise in transactions of our own on its connection.
     */
    private <T> T onHandle(Handle handle, Transactions.Unit<T> unit) {
        Connection c = handle.getConnection();
        return handle.isInTransaction() ? transactions.inCallersTransaction(c, unit, handle::afterCommit)
                : transactions.inOwnTransaction(c, unit);
    }

    /**
     * Tells the listener {@code event} now, or, for a call in the caller's transaction on
     * {@code handle}, once that transaction commits (never if it rolls back).
     */
    private static void tell(Handle handle, Runnable event) {
        if (handle != null && handle.isInTransaction()) {
            handle.afterCommit(event);
        } else {
            event.run();
        }
    }

    // ---- the family rule

    /** Throws if {@code resourceFamily} is not this strategy's family. */
    final void requireFamily(String resourceFamily, String resourceId) {
        if (!family.equals(resourceFamily)) {
            throw new IllegalStateException(Sql.SLOTS.equals(resourceFamily)
                    ? "resource '" + resourceId + "' was defined for unique-slots; the counter strategies "
                            + "(optimistic-version, pessimistic-lock, conditional-update, combining) cannot use it"
                    : "resource '" + resourceId + "' was defined for the counter strategies; unique-slots "
                            + "cannot use it");
        }
    }

    /** The answer for a request whose idempotency key is already taken. */
    static Attempt replay(Store store, Connection c, ReservationRequest request) throws SQLException {
        return store.reservations.byKey(c, request.idempotencyKey())
                .map(existing -> Attempt.replayOf(request, existing))
                // the key's row is committed but not visible to this transaction's snapshot
                .orElseGet(() -> Attempt.retry("idempotency key taken by a transaction this one cannot see"));
    }

    static Reservation reservation(long id, ReservationRequest request, Instant createdAt, Instant expiresAt) {
        return new Reservation(id, request.resourceId(), request.holderId(), request.quantity(),
                request.idempotencyKey(), createdAt, Optional.ofNullable(expiresAt));
    }

    // ---- reserve

    /** A reservation as a unit of work: the subclass's attempt, and the lookup after an unknown COMMIT. */
    private final class Reserving extends Transactions.Unit<ReservationResult> {
        private final ReservationRequest request;
        private final boolean joined;
        /** Whether the answer was a refusal that found the resource sold out and unmarked. */
        private boolean soldOutUnmarked;

        Reserving(ReservationRequest request, boolean joined) {
            this.request = request;
            this.joined = joined;
        }

        @Override
        String what() {
            return "reserving " + request + (joined ? " in the caller's transaction" : "");
        }

        @Override
        Transactions.Step<ReservationResult> run(Store store, Connection c, int attempt) throws SQLException {
            Attempt tried = attempt(store, c, request, now(), joined, attempt);
            soldOutUnmarked = tried.soldOutUnmarked();
            return tried.toStep(attempt);
        }

        /**
         * A refusal stands as it is. The row is looked up by its id (found, the COMMIT happened), then by the request's key
         * (found with another id, a replay; not found, nothing was written and the attempt runs
         * again). Without a key, a row that is not found proves nothing (the COMMIT may still
         * land), so the outcome is unknown.
         */
        @Override
        ReservationResult afterUnknownCommit(ReservationResult committed, SQLException failure) {
            if (!committed.isReserved()) {
                return committed;  // a refusal that kept a mark: it stands whether or not the mark landed
            }
            Reservation ours = committed.reservation();
            String key = request.idempotencyKey();
            Optional<Reservation> found = transactions.onConnection("looking up a reservation after a failed commit",
                    (store, c) -> store.reservations.exists(c, ours.id()) ? Optional.of(ours)
                            : key == null ? Optional.empty() : store.reservations.byKey(c, key));
            if (found.isEmpty()) {
                if (key == null) {
                    throw unknownOutcome(failure);
                }
                return null;
            }
            Reservation existing = found.get();
            Attempt truth = existing.id() == ours.id()
                    ? Attempt.reserved(ours, ReservationResult.UNKNOWN_AVAILABLE)
                    : Attempt.replayOf(request, existing);
            return truth.toResult(committed.attempts());
        }

        @Override
        OutcomeUnknownException unknownOutcome(SQLException failure) {
            return new OutcomeUnknownException(request, failure);
        }

        @Override
        ReservationResult givenUp(int attempts, String reason, Exception failure) {
            return contended(attempts);
        }

        @Override
        void retrying(int attempt, long backoffNanos, String reason) {
            AfterCommit.add(() -> Events.retried(options.listener(), name, request, attempt, backoffNanos, reason));
        }

        /** Ours is the reservation with our row's id; a replay of another caller's key is not. */
        @Override
        boolean landed(ReservationResult committed, ReservationResult truth) {
            return committed.isReserved() && truth.isReserved()
                    && truth.reservation().id() == committed.reservation().id();
        }
    }

    // ---- release, confirm, extend

    /**
     * A release as a unit of work. A hold found past its expiry ends by expiry instead (its units
     * come back now, and the answer is false). After an unknown COMMIT, ours is the release whose
     * token is recorded (not its stamp: two releases may read the clock in one microsecond).
     */
    private final class Releasing extends Transactions.Unit<Boolean> {
        private final long reservationId;
        private long token;

        Releasing(long reservationId) {
            this.reservationId = reservationId;
        }

        @Override
        String what() {
            return "releasing reservation " + reservationId;
        }

        @Override
        Transactions.Step<Boolean> run(Store store, Connection c, int attempt) throws SQLException {
            Instant stamp = now();
            token = newToken();
            Optional<ReservationRows.State> found = store.reservations.state(c, reservationId);
            if (found.isEmpty() || found.get().ended()) {
                return Transactions.Step.discard(false);
            }
            ReservationRows.State reservation = requireOwn(found.get());
            boolean byExpiry = reservation.expiredUnended(stamp);
            if (!endReservation(store, c, reservation, reservationId, stamp, byExpiry, token)) {
                return Transactions.Step.lostRace("reservation " + reservationId + " changed during the release");
            }
            if (reservation.expiresAt() != null) {
                holdEnded(reservationId, byExpiry ? HoldStatus.EXPIRED : HoldStatus.RELEASED);
            }
            return Transactions.Step.keep(!byExpiry);
        }

        /**
         * Ours is the release whose token the row records; an ending by expiry records no token,
         * so whether it was this release's is not known, and its event is not told.
         */
        @Override
        boolean landed(Boolean committed, Boolean truth) {
            return committed && truth;
        }

        @Override
        Boolean afterUnknownCommit(Boolean committed, SQLException failure) {
            Optional<ReservationRows.Ending> ending = transactions.lookUp("checking a release",
                    (store, c) -> store.reservations.ending(c, reservationId));
            if (ending.isEmpty() || ending.get().endedAt() == null) {
                return null;
            }
            return !ending.get().expired() && ending.get().releaseToken() == token;
        }
    }

    /** A confirm ({@code ttl} null) or an extension as a unit of work. */
    private final class ChangingHold extends Transactions.Unit<HoldStatus> {
        private final long reservationId;
        private final Duration ttl;
        private Instant stamp;
        private long token;
        private Instant newExpiry;

        ChangingHold(long reservationId, Duration ttl) {
            this.reservationId = reservationId;
            this.ttl = ttl;
        }

        @Override
        String what() {
            return (ttl == null ? "confirming" : "extending") + " reservation " + reservationId;
        }

        @Override
        Transactions.Step<HoldStatus> run(Store store, Connection c, int attempt) throws SQLException {
            stamp = now();
            token = newToken();
            if (ttl == null) {
                if (store.reservations.confirm(c, reservationId, stamp, token)) {
                    holdEnded(reservationId, HoldStatus.CONFIRMED);
                    return Transactions.Step.keep(HoldStatus.CONFIRMED);
                }
            } else {
                newExpiry = Holds.expiry(stamp, ttl, "ttl");
                if (store.reservations.extend(c, reservationId, stamp, newExpiry)) {
                    return Transactions.Step.keep(HoldStatus.EXTENDED);
                }
            }
            Optional<ReservationRows.State> found = store.reservations.state(c, reservationId);
            if (found.isEmpty()) {
                return Transactions.Step.discard(HoldStatus.UNKNOWN_RESERVATION);
            }
            ReservationRows.State reservation = found.get();
            if (reservation.ended()) {
                return Transactions.Step.discard(reservation.expired() ? HoldStatus.EXPIRED : HoldStatus.RELEASED);
            }
            if (reservation.expiresAt() == null) {
                return Transactions.Step.discard(HoldStatus.ALREADY_CONFIRMED);
            }
            requireOwn(reservation);
            if (reservation.expiredUnended(stamp) && endReservation(store, c, reservation, reservationId, stamp, true, 0)) {
                // its units come back now, by expiry, and stay free
                holdEnded(reservationId, HoldStatus.EXPIRED);
                return Transactions.Step.keep(HoldStatus.EXPIRED);
            }
            return Transactions.Step.lostRace("hold " + reservationId + " changed during the call");
        }

        /**
         * Ours is the confirm whose token is recorded, the extension whose new expiry is, the expiry
         * whose stamp is (answering EXPIRED twice is no harm); otherwise it did not happen: run again.
         */
        @Override
        HoldStatus afterUnknownCommit(HoldStatus committed, SQLException failure) {
            Optional<ReservationRows.Ending> ending = transactions.lookUp("checking a hold",
                    (store, c) -> store.reservations.ending(c, reservationId));
            if (ending.isEmpty()) {
                return null;
            }
            ReservationRows.Ending row = ending.get();
            if (committed == HoldStatus.CONFIRMED && row.confirmedAt() != null && row.confirmToken() == token) {
                return committed;
            }
            if (committed == HoldStatus.EXTENDED && row.endedAt() == null && newExpiry.equals(row.expiresAt())) {
                return committed;
            }
            if (committed == HoldStatus.EXPIRED && stamp.equals(row.endedAt()) && row.expired()) {
                return committed;
            }
            return null;
        }
    }

    /** Checks that a reservation's resource still exists and is of this strategy's family. */
    private ReservationRows.State requireOwn(ReservationRows.State reservation) {
        if (reservation.family() == null) {
            throw new IllegalStateException("reservation refers to resource '" + reservation.resourceId()
                    + "', which does not exist");
        }
        requireFamily(reservation.family(), reservation.resourceId());
        return reservation;
    }

    /** Reads how many units of a resource are free now, in a statement of its own. */
    @FunctionalInterface
    interface FreeUnits {
        long read() throws SQLException;
    }

    /**
     * The answer when {@code units} do not fit a resource even after {@link #reclaimExpired}:
     * full, unless an expired hold is still counted (another transaction holds its row, about to
     * end it) or the units came back since the decision was read (another transaction ended an
     * expired hold and committed after that read and before the reclaim looked): both lost races
     * to try again. The order of the two reads matters: once no expired hold is left unended, a
     * fresh read of what is free sees every unit those endings gave back, so a refusal after it
     * never counted an expired hold.
     */
    final Attempt full(Store store, Connection c, String resourceId, long units, Instant now, FreeUnits free)
            throws SQLException {
        if (store.reservations.anyExpired(c, resourceId, now)) {
            return Attempt.retry("an expired hold of '" + resourceId + "' is being ended by another transaction");
        }
        long freeNow = free.read();
        if (freeNow >= units) {
            return Attempt.retry("units of '" + resourceId + "' came back during the attempt");
        }
        return Attempt.refused(Status.INSUFFICIENT_CAPACITY, Math.max(0, freeNow));
    }

    /** A counter resource's free units, read now. */
    static FreeUnits counterFree(Store store, Connection c, String resourceId) {
        return () -> store.resources.select(c, resourceId).map(ResourceRow::available).orElse(0L);
    }

    /**
     * Takes {@code units} into a holder's count on a resource limited to {@code limit} per
     * holder; null if they fit, otherwise the answer: {@code HOLDER_LIMIT_REACHED}, or a lost race
     * while an expired hold is still counted (another transaction holds its row, about to end
     * it). When the units do not fit, the resource's expired holds are reclaimed and, once none is
     * left unended, the units are tried again (as {@link #full} reads again what is free). Call it
     * under the resource's lock (or after its guarded update).
     */
    final Attempt takeHolderUnits(Store store, Connection c, String resourceId, String holderId, long units, long limit,
                                  long available, Instant now) throws SQLException {
        if (store.holders.take(c, resourceId, holderId, units, limit)) {
            return null;
        }
        reclaimExpired(store, c, resourceId, now);
        if (store.reservations.anyExpired(c, resourceId, now)) {
            return Attempt.retry("an expired hold of '" + resourceId + "' is being ended by another transaction");
        }
        // once no expired hold is left unended, the guarded update sees every unit their endings gave back
        if (store.holders.take(c, resourceId, holderId, units, limit)) {
            return null;
        }
        return Attempt.refused(Status.HOLDER_LIMIT_REACHED, available);
    }

    /** When a hold made at {@code now} for {@code request} expires; null for a permanent reservation. */
    static Instant expiryOf(ReservationRequest request, Instant now) {
        return request.isHold() ? Holds.expiry(now, request.hold(), "ttl") : null;
    }

    // ---- plumbing

    /** A token naming one release or confirm, never 0 (what a row without one reads as). */
    private static long newToken() {
        long token;
        do {
            token = ThreadLocalRandom.current().nextLong();
        } while (token == 0);
        return token;
    }

    final Instant now() {
        return options.clock().instant().truncatedTo(ChronoUnit.MICROS);
    }

    static ReservationResult contended(int attempts) {
        return new ReservationResult(Status.CONTENDED, null, ReservationResult.UNKNOWN_AVAILABLE, attempts);
    }

    /**
     * Tells the listener the outcome of a reserve call made at {@code startNanos}, timed to now:
     * now, or once the caller's transaction on {@code handle} commits.
     */
    final ReservationResult report(Handle handle, ReservationRequest request, ReservationResult result, long startNanos) {
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        tell(handle, () -> Events.reserved(options.listener(), name, request, result, took));
        return result;
    }

    private boolean reportRelease(Handle handle, long reservationId, boolean released) {
        if (released) {
            tell(handle, () -> Events.released(options.listener(), name, reservationId));
        }
        return released;
    }

    /** Tells the listener, once this transaction commits, that a hold ended {@code how}. */
    final void holdEnded(long reservationId, HoldStatus how) {
        AfterCommit.add(() -> Events.holdEnded(options.listener(), name, reservationId, how));
    }
}
