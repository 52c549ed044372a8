package dev.capacity.jdbc;

import dev.capacity.CapacityException;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;
import dev.capacity.internal.RetryBudget;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * combining: within one JVM, concurrent requests for the same resource are granted together. One
 * transaction locks the counter row, grants the batch in arrival order, inserts the reservation
 * rows as one JDBC batch, updates the counter once and commits once; meanwhile the next batch
 * gathers. On a durable database, where every strategy that updates one counter row is capped by
 * that row's lock being held through the commit's disk flush, this turns one flush per
 * reservation into one flush per batch.
 *
 * <h2>Concurrency</h2>
 * Each resource has a {@code Combiner}: a FIFO queue of waiting requests, a semaphore that bounds
 * it (backpressure), and a flag saying whether some thread is combining. A caller enqueues its
 * request and, if no one is combining, becomes the combiner: it takes every waiting request (up
 * to {@value #MAX_BATCH}), runs the batch, completes each request and wakes its caller, then
 * wakes the oldest waiter so that it combines the requests that arrived meanwhile. Otherwise it
 * parks until its request is complete or the combiner role is free. No thread is dedicated to
 * combining, and a lone request is never delayed waiting for company: it is a batch of one.
 *
 * <p>Each request moves once from WAITING to either TAKEN (by a combiner, which then must
 * complete it) or ABANDONED (by its own caller when its time budget runs out before a combiner
 * took it, or by {@link #close()}), so a request is never both granted and given up on.
 *
 * <h2>Batches</h2>
 * Requests are decided in arrival order, as if one after the other: a repeated idempotency key is
 * answered from the database or from earlier in the batch; every other request is granted if it
 * fits what is left, so a request never overtakes an earlier one that fits. A batch that loses a
 * race (a lock timeout, a deadlock, an idempotency key inserted meanwhile by another process) is
 * rolled back and run again within the retry budget, then answered CONTENDED. If the connection
 * fails during COMMIT, the first granted row is looked up: found, the whole batch committed;
 * not found, keyed requests are tried again and the others get {@link OutcomeUnknownException}.
 *
 * <p>{@link #reserve(Handle, ReservationRequest)} runs inside the caller's transaction and cannot
 * join a batch: there it behaves exactly as conditional-update.
 *
 * <p>This class is threadsafe.
 */
final class CombiningStrategy extends CounterStrategy {

    /** The most requests one transaction grants. */
    static final int MAX_BATCH = 256;

    /** The most requests that may wait for one resource; more wait for room, within their budget. */
    static final int MAX_QUEUE = 8192;

    private final Map<String, Combiner> combiners = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    CombiningStrategy(Jdbi jdbi, StrategyOptions options) {
        super(StrategyKind.COMBINING, jdbi, options);
    }

    /** Inside the caller's transaction: conditional-update's attempt. */
    @Override
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined)
            throws SQLException {
        return ConditionalUpdateStrategy.guarded(this, store, c, request, now);
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        Arguments.requireNonNull(request, "request");
        requireAccepting();
        long deadline = System.nanoTime() + options.maxRetryTime().toNanos();
        Combiner combiner = combiners.computeIfAbsent(request.resourceId(), Combiner::new);
        try {
            if (!combiner.room.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                return report(request, contended(0));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return report(request, contended(0));
        }
        try {
            Waiter waiter = new Waiter(request);
            combiner.queue.add(waiter);
            return report(request, await(combiner, waiter, deadline));
        } finally {
            combiner.room.release();
        }
    }

    /** Refuses reservations once closed, in the caller's transaction as well: see {@link #close()}. */
    @Override
    void requireAccepting() {
        if (closed.get()) {
            throw new IllegalStateException("the combining strategy is closed; it accepts no more reservations "
                    + "(release, availability, define, resize and adjust still work)");
        }
    }

    private ReservationResult await(Combiner combiner, Waiter waiter, long deadline) {
        for (;;) {
            Object outcome = waiter.outcome;
            if (outcome != null) {
                return waiter.result();
            }
            if (combiner.combining.compareAndSet(false, true)) {
                try {
                    List<Waiter> batch = combiner.take();
                    if (!batch.isEmpty()) {
                        runBatch(combiner.resourceId, batch);
                    }
                } finally {
                    combiner.combining.set(false);
                }
                // whoever waits longest combines the requests that arrived meanwhile
                combiner.wakeOldest();
                continue;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0 && waiter.abandon(null)) {
                return contended(0);
            }
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                if (waiter.abandon(null)) {
                    return contended(0);
                }
            }
            LockSupport.parkNanos(this, Math.max(remaining, TimeUnit.MILLISECONDS.toNanos(1)));
        }
    }

    /**
     * Fails every request that is still waiting for a batch, and refuses new ones. Batches already
     * running finish and answer their requests.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        CapacityException closing = new CapacityException(
                "the combining strategy was closed before this request was taken into a batch; nothing was written");
        for (Combiner combiner : combiners.values()) {
            for (Waiter waiter : combiner.queue) {
                waiter.abandon(closing);
            }
        }
    }

    /** Requests waiting for a resource, not yet taken into a batch; for tests. */
    int waiting(String resourceId) {
        Combiner combiner = combiners.get(resourceId);
        return combiner == null ? 0 : (int) combiner.queue.stream().filter(w -> w.state.get() == Waiter.WAITING).count();
    }

    /** Whether a batch of a resource is running; for tests. */
    boolean combining(String resourceId) {
        Combiner combiner = combiners.get(resourceId);
        return combiner != null && combiner.combining.get();
    }

    /** Runs {@code requests} (all for one resource) as one batch, in this order, on this thread; for tests. */
    List<ReservationResult> reserveAsOneBatch(List<ReservationRequest> requests) {
        List<Waiter> batch = requests.stream().map(Waiter::new).toList();
        batch.forEach(Waiter::take);
        runBatch(requests.get(0).resourceId(), batch);
        return batch.stream().map(Waiter::result).toList();
    }

    // ---- one batch

    /** Runs a batch in transactions until it is decided or its budget is spent; completes every request. */
    private void runBatch(String resourceId, List<Waiter> requests) {
        if (requests.size() == 1) {
            // nobody to combine with: conditional-update's two statements beat the batch's four
            Waiter alone = requests.get(0);
            try {
                alone.complete(reserveAlone(alone.request, null));
            } catch (RuntimeException e) {
                alone.complete(e);
            }
            return;
        }
        List<Waiter> batch = requests;
        RetryBudget budget = RetryBudget.start(options);
        for (;;) {
            int attempt = budget.beginAttempt();
            Exception lost = null;
            Connections.Lease own;
            try {
                own = open("reserving a batch of " + batch.size() + " on '" + resourceId + "'");
            } catch (RuntimeException e) {
                completeAll(batch, e);
                return;
            }
            Connection c = own.connection;
            try {
                Store store = store(c);
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(false);
                try {
                    Decisions decisions;
                    try {
                        decisions = decide(store, c, resourceId, batch, now());
                    } catch (SQLException | RuntimeException e) {
                        rollbackQuietly(c);
                        SqlErrors.Kind kind = SqlErrors.classify(e);
                        if (kind != SqlErrors.Kind.CONTENTION && kind != SqlErrors.Kind.UNIQUE_VIOLATION
                                && !lostBeforeCommit(own, e)) {
                            completeAll(batch, translate("reserving on '" + resourceId + "'", e));
                            return;
                        }
                        lost = e;
                        decisions = null;
                    }
                    if (decisions != null) {
                        if (!decisions.writes()) {
                            rollbackQuietly(c);
                            decisions.complete(attempt);
                            return;
                        }
                        try {
                            c.commit();
                            decisions.complete(attempt);
                            return;
                        } catch (SQLException e) {
                            rollbackQuietly(c);
                            SqlErrors.Kind kind = SqlErrors.classify(e);
                            if (SqlErrors.commitMayHaveHappened(e)) {
                                batch = afterUnknownCommit(decisions, attempt, e);
                                if (batch.isEmpty()) {
                                    return;
                                }
                            } else if (kind != SqlErrors.Kind.CONTENTION) {
                                completeAll(batch, translate("committing a batch on '" + resourceId + "'", e));
                                return;
                            }
                            lost = e;
                        }
                    }
                } finally {
                    restoreAutoCommit(c, autoCommit);
                }
            } catch (SQLException e) {
                completeAll(batch, translate("reserving on '" + resourceId + "'", e));
                return;
            } finally {
                close(own);
            }
            long backoff = budget.nextBackoffNanos();
            if (backoff == RetryBudget.SPENT || !RetryBudget.sleep(backoff)) {
                for (Waiter waiter : batch) {
                    waiter.complete(contended(attempt));
                }
                return;
            }
            if (lost != null) {
                dev.capacity.internal.Events.retried(options.listener(), name(), batch.get(0).request, attempt, backoff,
                        "batch of " + batch.size() + ": " + SqlErrors.describe(lost));
            }
        }
    }

    /** Decides every request of the batch under the counter row's lock and writes the grants. */
    private Decisions decide(Store store, Connection c, String resourceId, List<Waiter> batch, Instant now)
            throws SQLException {
        Decisions decisions = new Decisions(batch);
        Optional<Store.ResourceRow> locked = store.lockResource(c, resourceId);
        if (locked.isEmpty()) {
            for (int i = 0; i < batch.size(); i++) {
                decisions.answer(i, Status.UNKNOWN_RESOURCE, null, 0);
            }
            return decisions;
        }
        requireFamily(locked.get().family(), resourceId);
        Set<String> keys = new LinkedHashSet<>();
        for (Waiter waiter : batch) {
            if (waiter.request.idempotencyKey() != null) {
                keys.add(waiter.request.idempotencyKey());
            }
        }
        Map<String, Reservation> taken = store.reservationsByKeys(c, keys);
        Map<String, Integer> grantedKeys = new HashMap<>();
        long left = locked.get().capacity() - locked.get().reserved();
        List<ReservationRequest> grants = new ArrayList<>();
        List<Integer> granted = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            ReservationRequest request = batch.get(i).request;
            String key = request.idempotencyKey();
            if (key != null && taken.containsKey(key)) {
                decisions.replay(i, request, taken.get(key));
            } else if (key != null && grantedKeys.containsKey(key)) {
                decisions.replayOf(i, grantedKeys.get(key));
            } else if (request.quantity() <= left) {
                left -= request.quantity();
                grants.add(request);
                granted.add(i);
                decisions.grant(i, left);
                if (key != null) {
                    grantedKeys.put(key, i);
                }
            } else {
                decisions.answer(i, Status.INSUFFICIENT_CAPACITY, null, Math.max(0, left));
            }
        }
        if (!grants.isEmpty()) {
            long[] ids = store.insertReservations(c, grants, now);
            long units = 0;
            for (int g = 0; g < ids.length; g++) {
                decisions.reserved(granted.get(g), reservation(ids[g], grants.get(g), now));
                units += grants.get(g).quantity();
            }
            store.increment(c, resourceId, units);
        }
        return decisions;
    }

    /**
     * After a COMMIT whose outcome is unknown: the requests to run again, none if every request
     * was answered. Found the batch's first row: it committed, and every request is answered.
     * Not found: the keyed requests run again (their keys stop a second reservation should the
     * COMMIT still land) and the others get {@link OutcomeUnknownException}. The lookup failing
     * too: every request gets {@link OutcomeUnknownException}.
     */
    private List<Waiter> afterUnknownCommit(Decisions decisions, int attempt, SQLException failure) {
        long probe = decisions.firstGrantedId();
        boolean committed;
        try {
            committed = withConnection("checking a batch after a failed commit",
                    (store, c) -> store.reservationExists(c, probe));
        } catch (RuntimeException lookup) {
            failure.addSuppressed(lookup);
            decisions.unknown(failure);
            return List.of();
        }
        if (committed) {
            decisions.complete(attempt);
            return List.of();
        }
        return decisions.unknownUnlessKeyed(failure);
    }

    private static void completeAll(List<Waiter> batch, RuntimeException failure) {
        for (Waiter waiter : batch) {
            waiter.complete(failure);
        }
    }

    /** What a batch decided for each of its requests, in arrival order. */
    private static final class Decisions {
        private final List<Waiter> batch;
        private final Status[] statuses;
        private final Reservation[] reservations;
        private final long[] available;
        private final int[] replayOf;

        Decisions(List<Waiter> batch) {
            this.batch = batch;
            int n = batch.size();
            this.statuses = new Status[n];
            this.reservations = new Reservation[n];
            this.available = new long[n];
            this.replayOf = new int[n];
            java.util.Arrays.fill(replayOf, -1);
        }

        void answer(int i, Status status, Reservation reservation, long availableAfter) {
            statuses[i] = status;
            reservations[i] = reservation;
            available[i] = availableAfter;
        }

        void grant(int i, long availableAfter) {
            statuses[i] = Status.RESERVED;
            available[i] = availableAfter;
        }

        void reserved(int i, Reservation reservation) {
            reservations[i] = reservation;
        }

        void replay(int i, ReservationRequest request, Reservation existing) {
            Attempt replay = Attempt.replayOf(request, existing);
            answer(i, replay.status(), replay.reservation(), ReservationResult.UNKNOWN_AVAILABLE);
        }

        /** Request {@code i} repeats the key that request {@code first} of this batch was granted with. */
        void replayOf(int i, int first) {
            replayOf[i] = first;
        }

        boolean writes() {
            for (Status status : statuses) {
                if (status == Status.RESERVED) {
                    return true;
                }
            }
            return false;
        }

        long firstGrantedId() {
            for (int i = 0; i < statuses.length; i++) {
                if (statuses[i] == Status.RESERVED) {
                    return reservations[i].id();
                }
            }
            throw new IllegalStateException("no grant in this batch");
        }

        /** Answers the unkeyed requests with {@link OutcomeUnknownException}; the keyed ones, to run again. */
        List<Waiter> unknownUnlessKeyed(SQLException failure) {
            List<Waiter> again = new ArrayList<>();
            for (Waiter waiter : batch) {
                if (waiter.request.idempotencyKey() != null) {
                    again.add(waiter);
                } else {
                    waiter.complete(new OutcomeUnknownException(waiter.request, failure));
                }
            }
            return again;
        }

        void complete(int attempts) {
            for (int i = 0; i < statuses.length; i++) {
                Waiter waiter = batch.get(i);
                if (replayOf[i] >= 0) {
                    Attempt replay = Attempt.replayOf(waiter.request, reservations[replayOf[i]]);
                    waiter.complete(new ReservationResult(replay.status(), replay.reservation(),
                            ReservationResult.UNKNOWN_AVAILABLE, attempts));
                } else {
                    waiter.complete(new ReservationResult(statuses[i], reservations[i], available[i], attempts));
                }
            }
        }

        void unknown(SQLException failure) {
            for (Waiter waiter : batch) {
                waiter.complete(new OutcomeUnknownException(waiter.request, failure));
            }
        }
    }

    // ---- queues

    /** The requests waiting for one resource, and who is combining them. */
    private static final class Combiner {
        final String resourceId;
        final ConcurrentLinkedQueue<Waiter> queue = new ConcurrentLinkedQueue<>();
        final Semaphore room = new Semaphore(MAX_QUEUE);
        final AtomicBoolean combining = new AtomicBoolean();

        Combiner(String resourceId) {
            this.resourceId = resourceId;
        }

        /** Takes up to {@link #MAX_BATCH} waiting requests, oldest first, skipping abandoned ones. */
        List<Waiter> take() {
            List<Waiter> batch = new ArrayList<>();
            while (batch.size() < MAX_BATCH) {
                Waiter waiter = queue.poll();
                if (waiter == null) {
                    break;
                }
                if (waiter.take()) {
                    batch.add(waiter);
                }
            }
            return batch;
        }

        void wakeOldest() {
            Waiter oldest = queue.peek();
            if (oldest != null) {
                LockSupport.unpark(oldest.thread);
            }
        }
    }

    /** One request waiting for its batch. */
    private static final class Waiter {
        private static final int WAITING = 0;
        private static final int TAKEN = 1;
        private static final int ABANDONED = 2;

        final ReservationRequest request;
        final Thread thread = Thread.currentThread();
        final AtomicInteger state = new AtomicInteger(WAITING);
        /** The {@link ReservationResult} or the {@link RuntimeException}; null until decided. */
        volatile Object outcome;

        Waiter(ReservationRequest request) {
            this.request = request;
        }

        /** A combiner takes this request into its batch; false if its caller gave up on it first. */
        boolean take() {
            return state.compareAndSet(WAITING, TAKEN);
        }

        /** Gives up on a request no combiner has taken; {@code failure} answers it, or null for CONTENDED. */
        boolean abandon(RuntimeException failure) {
            if (!state.compareAndSet(WAITING, ABANDONED)) {
                return false;
            }
            if (failure != null) {
                complete(failure);
            }
            return true;
        }

        void complete(Object result) {
            outcome = result;
            LockSupport.unpark(thread);
        }

        ReservationResult result() {
            Object result = outcome;
            if (result instanceof RuntimeException failure) {
                throw failure;
            }
            return (ReservationResult) result;
        }
    }
}
