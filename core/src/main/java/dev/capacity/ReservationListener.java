package dev.capacity;

import java.time.Duration;

/**
 * Receives the events of a strategy: a reservation granted or replayed, a request rejected, an
 * attempt retried, a reservation released. Every method has an empty default, so a listener
 * overrides only what it needs.
 *
 * <p>Listeners are called on the thread that made the call, after the outcome is decided and, for
 * strategies that own their transaction, after it committed; a call made inside the caller's
 * transaction ({@code reserve(handle, ...)}) reports before the caller commits. A listener must be
 * threadsafe and quick. An exception thrown by a listener is logged and otherwise ignored: it
 * never changes an outcome.
 */
public interface ReservationListener {

    /** A listener that ignores every event. */
    ReservationListener NONE = new ReservationListener() {
        @Override
        public String toString() {
            return "ReservationListener.NONE";
        }
    };

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
}
