package dev.capacity;

/**
 * The answer to {@link ReservationStrategy#confirm(long)} and
 * {@link ReservationStrategy#extend(long, java.time.Duration)}: what became of the hold, or what it
 * already was.
 */
public enum HoldStatus {
    /** The live hold is permanent now: its units stay reserved until released. */
    CONFIRMED,
    /** The live hold now expires at the new time. */
    EXTENDED,
    /** The reservation is permanent already: it was never a hold, or was confirmed before. Nothing changed. */
    ALREADY_CONFIRMED,
    /** The hold expired before this call (at or before the strategy's clock): its units are free again. */
    EXPIRED,
    /** The reservation was released before this call. Nothing changed. */
    RELEASED,
    /** No reservation has that id. Nothing changed. */
    UNKNOWN_RESERVATION
}
