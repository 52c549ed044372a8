package dev.capacity.jdbc;

import dev.capacity.CapacityException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;
import dev.capacity.internal.Events;

import org.jdbi.v3.core.Handle;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * combining: within one JVM, concurrent requests for the same resource are granted together. One
 * transaction takes the batch's units from the counter row with one guarded update (or, when the
 * batch does not fit or carries keys or a limit, locks the row and grants in arrival order),
 * inserts the reservation rows in bulk and commits once; meanwhile the next batch gathers. On a
 * durable database, where every strategy that updates one counter row is capped by that row's
 * lock being held through the commit's disk flush, this turns one flush per reservation into one
 * flush per batch.
 *
 * <p>Each resource has a {@link RequestCombiner} (the hand-off of requests to the thread that
 * runs their batch); each batch is a {@link BatchReservation} (the transaction). A batch of one
 * runs as conditional-update: two statements, with no bulk insert to build and no batch to
 * answer.
 * {@link #reserve(Handle, ReservationRequest)} runs inside the caller's transaction and cannot
 * join a batch: there it behaves exactly as conditional-update.
 *
 * <p>This class is threadsafe.
 */
final class CombiningStrategy extends CounterStrategy {

    /** The most requests one batch decides. */
    static final int MAX_BATCH = 256;

    /** The most requests that may wait for one resource; more wait for room, within their budget. */
    static final int MAX_QUEUE = 8192;

    private final Map<String, RequestCombiner<ReservationRequest, ReservationResult>> combiners = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The resources whose last batch saw a per-holder limit: their batches are decided one request at a time. */
    private final Set<String> limited = ConcurrentHashMap.newKeySet();

    CombiningStrategy(ConnectionSource connections, StrategyOptions options) {
        super(StrategyKind.COMBINING, connections, options);
    }

    /** Inside the caller's transaction: conditional-update's attempt. */
    /** An order's part: conditional-update's guarded increment, outside any batch. */
    @Override
    Attempt takePart(Store store, Connection c, OrderPart part, long[] ids, Instant now, boolean joined)
            throws SQLException {
        return guardedPart(store, c, part, now);
    }

    @Override
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined)
            throws SQLException {
        return guardedIncrement(store, c, request, now);
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        long start = System.nanoTime();
        Arguments.requireNonNull(request, "request");
        // refused here, alone: inside a batch it would fail the requests it was batched with
        requireValidHold(request);
        requireAccepting();
        long deadline = System.nanoTime() + options.maxRetryTime().toNanos();
        RequestCombiner<ReservationRequest, ReservationResult> combiner = combiners.computeIfAbsent(request.resourceId(),
                resourceId -> new RequestCombiner<>(MAX_BATCH, MAX_QUEUE, batch -> runBatch(resourceId, batch)));
        return report(null, request, combiner.submit(request, deadline, contended(0)), start);
    }

    /** Refuses reservations once closed, in the caller's transaction as well: see {@link #close()}. */
    @Override
    void requireAccepting() {
        if (closed.get()) {
            throw new IllegalStateException("the combining strategy is closed; it accepts no more reservations "
                    + "(release, availability, define, resize and adjust still work)");
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
        for (RequestCombiner<ReservationRequest, ReservationResult> combiner : combiners.values()) {
            combiner.failWaiting(closing);
        }
    }

    /** Runs a batch of requests for one resource, answers each, then tells the listener of the batch. */
    private void runBatch(String resourceId, List<RequestCombiner.Pending<ReservationRequest, ReservationResult>> batch) {
        if (batch.size() == 1) {
            RequestCombiner.Pending<ReservationRequest, ReservationResult> alone = batch.get(0);
            try {
                alone.answer(reserveInOwnTransaction(alone.request()));
            } catch (RuntimeException e) {
                alone.fail(e);
            }
        } else {
            new BatchReservation(this, resourceId, batch, limited).runAndAnswer();
        }
        Events.batch(options.listener(), name(), batch.size(), waiting(resourceId));
    }

    /** Requests waiting for a resource, not yet taken into a batch. */
    int waiting(String resourceId) {
        RequestCombiner<ReservationRequest, ReservationResult> combiner = combiners.get(resourceId);
        return combiner == null ? 0 : combiner.waiting();
    }

    /** Whether a batch of a resource is running; for tests. */
    boolean combining(String resourceId) {
        RequestCombiner<ReservationRequest, ReservationResult> combiner = combiners.get(resourceId);
        return combiner != null && combiner.combining();
    }

    /** Runs {@code requests} (all for one resource) as one batch, in this order, on this thread; for tests. */
    List<ReservationResult> reserveAsOneBatch(List<ReservationRequest> requests) {
        return RequestCombiner.runAsOneBatch(requests, batch -> runBatch(requests.get(0).resourceId(), batch));
    }
}
