package dev.capacity;

import java.time.Duration;

/**
 * Receives the events of a strategy: a reservation granted or replayed, a request rejected, a
 * reserve call timed, an attempt retried, a reservation released, a hold ended, a batch run, a
 * resource sold out or back in stock.
 * Every method has an empty default, so a listener overrides only what it needs.
 *
 * <p>Listeners are called on the thread that made the call, after the outcome is decided and
 * after the transaction that wrote it committed: never for something that rolled back. A call
 * made inside the caller's transaction ({@code reserve(handle, ...)} and the other calls that take
 * a Jdbi {@code Handle}) reports once the caller commits through that handle ({@code
 * handle.commit()}, {@code inTransaction}, {@code useTransaction}), on the committing thread, and
 * never if it rolls back; Jdbi does not see a transaction committed on the JDBC connection
 * itself, behind its back, and its calls are not reported then. Events about a combined request's batch are told by the thread
 * that ran the batch. A listener must be threadsafe and quick. An exception thrown by a listener
 * is logged and otherwise ignored: it never changes an outcome.
 */
public interface ReservationListener {

    /** A listener that ignores every event. */
    ReservationListener NONE = new ReservationListener() {
        @Override
        public String toString() {
            return "ReservationListener.NONE";
        }
    };

    /**
     * A listener that tells every event to each of {@code listeners}, in order: metrics beside an
     * application's own reactions, say. One that throws is logged and the others are still told.
     */
    static ReservationListener all(ReservationListener... listeners) {
        return Listeners.all(listeners);
    }

    /** A request was granted ({@code RESERVED}) or answered with its earlier reservation ({@code REPLAYED}). */
    default void onReserved(String strategy, ReservationRequest request, ReservationResult result) {}

    /** A request was answered without a reservation: full, unknown resource, key conflict or contended. */
    default void onRejected(String strategy, ReservationRequest request, ReservationResult result) {}

    /**
     * An attempt lost a race (a version check, a lock wait, a serialization failure) and the
     * strategy will try again after {@code backoff}.
     *
     * @param attempt the number of the attempt that failed, from 1
     */
    default void onRetried(String strategy, ReservationRequest request, int attempt, Duration backoff, String reason) {}

    /** A reservation was released by this call. */
    default void onReleased(String strategy, long reservationId) {}

    /**
     * A reserve call ended with {@code result}, {@code took} after it was made: its attempts, lock
     * waits and backoffs included, and for a combined request its wait for a batch. Told once per
     * {@code reserve} call, right after {@link #onReserved} or {@link #onRejected} (the lines of
     * an order are not timed one by one).
     */
    default void onReserveTimed(String strategy, ReservationRequest request, ReservationResult result, Duration took) {}

    /**
     * A hold ended, {@code how}: {@link HoldStatus#CONFIRMED} (made permanent by a confirm),
     * {@link HoldStatus#RELEASED} (released while it was live) or {@link HoldStatus#EXPIRED}
     * (found past its expiry and its units taken back: by a reserve that needed the room, by a
     * confirm or release that came too late, or by a sweep). Each hold ends once.
     */
    default void onHoldEnded(String strategy, long reservationId, HoldStatus how) {}

    /**
     * The combining strategy ran a batch of {@code size} requests in one transaction, committed
     * or not; {@code waiting} requests were queued behind it as it ended.
     */
    default void onBatch(String strategy, int size, int waiting) {}

    /**
     * {@code resourceId} has no unit left to grant: the committed write that took its last unit (a
     * grant, or a resize or adjustment below what is reserved). Told once per transition, after
     * the commit: in commit order the next stock event of the resource is {@link #onBackInStock}
     * (events are told by the threads that made the changes, so they may arrive in another order;
     * count them, as docs/metrics.md says). Availability is
     * the resource's counter: a hold that expired counts until something takes its units back.
     * unique-slots keeps no counter (it would be the hot row the strategy exists to avoid): it
     * tells a sell-out when a reserve first finds no slot free (and marks the resource sold out),
     * and only in transactions of its own, never on a Galera cluster.
     */
    default void onSoldOut(String strategy, String resourceId) {}

    /**
     * {@code resourceId}, sold out, has a unit to grant again: the committed release, expiry taken
     * back, growth or repair that freed the first. Told once per transition, after the commit.
     */
    default void onBackInStock(String strategy, String resourceId) {}
}
