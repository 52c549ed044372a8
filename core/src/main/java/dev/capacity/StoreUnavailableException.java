package dev.capacity;

/**
 * The store could not be reached (connection refused or lost, server shutting down, pool
 * exhausted). Nothing was written by the failed call; retrying later is safe.
 */
public class StoreUnavailableException extends CapacityException {

    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
