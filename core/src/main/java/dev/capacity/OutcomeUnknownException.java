package dev.capacity;

import java.util.Objects;

/**
 * The connection was lost while the reservation was being committed, so it may or may not have
 * been granted. Thrown only for requests without an idempotency key, and for keyed requests when
 * the key could not be looked up afterwards: retrying the {@link #request()} with the same
 * idempotency key is safe and tells the truth.
 */
public class OutcomeUnknownException extends CapacityException {

    private static final long serialVersionUID = 1L;

    private final transient ReservationRequest request;

    public OutcomeUnknownException(ReservationRequest request, Throwable cause) {
        super("the outcome of " + Objects.requireNonNull(request, "request")
                + " is unknown: the connection failed during commit", cause);
        this.request = request;
    }

    /**
     * An operation other than a reservation (a release, say) whose outcome is unknown;
     * {@link #request()} is null. {@code operation} says what it was, e.g. "releasing reservation 7".
     */
    public OutcomeUnknownException(String operation, Throwable cause) {
        super("the outcome of " + Objects.requireNonNull(operation, "operation")
                + " is unknown: the connection failed during commit", cause);
        this.request = null;
    }

    /** The request whose outcome is unknown; null if the operation was not a reservation. */
    public ReservationRequest request() {
        return request;
    }
}
