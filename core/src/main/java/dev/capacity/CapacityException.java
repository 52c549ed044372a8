package dev.capacity;

/**
 * The base of the exceptions this library throws for broken infrastructure. Expected outcomes
 * (a full resource, a replayed key) are {@link ReservationResult} values, never exceptions.
 */
public class CapacityException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CapacityException(String message) {
        super(message);
    }

    public CapacityException(String message, Throwable cause) {
        super(message, cause);
    }
}
