package dev.capacity.jdbc;

import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import org.jdbi.v3.core.Handle;

import java.util.List;

/**
 * A {@link ReservationStrategy} over JDBI that can also take part in the caller's transaction, so
 * that a reservation commits or rolls back together with the caller's own rows (an order, an
 * attendance, a ledger entry).
 *
 * <pre>{@code
 * ReservationResult result = jdbi.inTransaction(handle -> {
 *     ReservationResult r = strategy.reserve(handle, ReservationRequest.of("run-42", "user-7"));
 *     if (r.isReserved()) {
 *         handle.execute("INSERT INTO attendance (run_id, user_id) VALUES (?, ?)", 42, 7);
 *     }
 *     return r;
 * });
 * }</pre>
 *
 * <p>Implementations are threadsafe; a {@link Handle} is not, so each thread passes its own.
 * {@link #close()} matters only for strategies that hold requests in memory (combining); for the
 * others it does nothing.
 */
public interface JdbiReservationStrategy extends ReservationStrategy, AutoCloseable {

    /**
     * Reserves inside the caller's transaction. The reservation commits or rolls back with it;
     * this method never commits it, and never leaves it aborted for an expected outcome (full,
     * unknown resource, replayed or conflicting key): its own statements run under a savepoint
     * that it rolls back for any outcome other than {@code RESERVED}.
     *
     * <p>It retries a lost version check only where that is safe: when the transaction reads
     * fresh data at every statement (READ COMMITTED or weaker). A deadlock, lock timeout or
     * serialization failure is never retried here, since the caller's locks are held meanwhile:
     * the answer is {@code CONTENDED} and the caller's transaction stays usable.
     *
     * <p>If {@code handle} is not in a transaction, this behaves like {@link #reserve(ReservationRequest)}
     * run on that handle.
     */
    ReservationResult reserve(Handle handle, ReservationRequest request);

    /**
     * {@link #reserveAll(List)} inside the caller's transaction, under a savepoint, as
     * {@link #reserve(Handle, ReservationRequest)} runs a single request: the order commits or rolls
     * back with the caller's work, and an order that is not {@code RESERVED} leaves the caller's
     * transaction as it was. To order across strategy families, call each family's strategy with
     * its own lines on one handle: the caller's transaction makes the two one step.
     */
    OrderResult reserveAll(Handle handle, List<ReservationRequest> lines);

    /**
     * {@link #adjust(String, long)} inside the caller's transaction: the capacity changes when it
     * commits, together with the caller's own rows (a transfer credits one wallet and debits another,
     * or neither). A failure leaves the caller's transaction to roll back. If {@code handle} is not
     * in a transaction, this behaves like {@link #adjust(String, long)} on that handle.
     */
    long adjust(Handle handle, String resourceId, long delta);

    /**
     * Releases inside the caller's transaction: the units return when it commits. If
     * {@code handle} is not in a transaction, this behaves like {@link #release(long)} on that handle.
     */
    boolean release(Handle handle, long reservationId);

    /**
     * {@link #confirm(long)} inside the caller's transaction: the hold becomes permanent when it
     * commits, together with the caller's own rows (the paid order and its seat, or neither). An
     * answer other than {@code CONFIRMED} or {@code EXPIRED} writes nothing; {@code EXPIRED} returns
     * the hold's units with the caller's transaction. A failure leaves the caller's transaction as
     * it was (a savepoint). If {@code handle} is not in a transaction, this behaves like
     * {@link #confirm(long)} on that handle.
     */
    HoldStatus confirm(Handle handle, long reservationId);

    /**
     * Ends every hold of this strategy's family that has expired by the strategy's clock and that
     * nothing has ended yet, returning its units; the number of holds ended. Housekeeping only:
     * an expired hold never blocks a reservation whether or not it was swept, and reservations
     * reclaim what they need themselves. Safe to run from many processes at once: each hold ends
     * exactly once, and a hold that another transaction is ending is skipped, not waited for.
     */
    long sweepExpiredHolds();

    /**
     * Stops accepting reservations (combining; for the other strategies this does nothing).
     * Requests still waiting for a batch fail with a
     * {@link dev.capacity.CapacityException} saying that nothing was written; none is dropped
     * without an answer. Later reservations, alone or in the caller's transaction, are an
     * {@link IllegalStateException}; releases, reads and capacity changes still work, so units
     * can be handed back while shutting down. Closing twice does nothing.
     */
    @Override
    default void close() {}
}
