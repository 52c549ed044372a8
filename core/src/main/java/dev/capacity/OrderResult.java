package dev.capacity;

import dev.capacity.ReservationResult.Status;

import java.util.List;
import java.util.Objects;

/**
 * The answer to an order ({@link ReservationStrategy#reserveAll}): every line granted, or none.
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param status {@link Status#RESERVED} or {@link Status#REPLAYED} when every line holds units; otherwise why
 *     not, as for a single request (the status of the line that could not be met)
 * @param reservations one reservation per line, in line order, when the order was granted; empty
 *     otherwise
 * @param failedLine the index of a line that cannot be met, or {@link #NO_LINE} when the order was
 *     granted or no single line is to blame ({@link Status#CONTENDED})
 */
public record OrderResult(Status status, List<Reservation> reservations, int failedLine) {

    /** The most lines one order may have: each line's resource is locked until the order commits. */
    public static final int MAX_LINES = 100;

    /** {@link #failedLine()} when no line is to blame. */
    public static final int NO_LINE = -1;

    public OrderResult {
        Objects.requireNonNull(status, "status");
        reservations = List.copyOf(Objects.requireNonNull(reservations, "reservations"));
        boolean granted = status == Status.RESERVED || status == Status.REPLAYED;
        if (granted == reservations.isEmpty()) {
            throw new IllegalArgumentException("reservations must be present exactly for RESERVED and REPLAYED, status was "
                    + status + " with " + reservations.size());
        }
        if (failedLine < NO_LINE || (granted && failedLine != NO_LINE)) {
            throw new IllegalArgumentException("failedLine must be -1 for a granted order and at least -1, was " + failedLine);
        }
    }

    /** A granted order: {@link Status#RESERVED} or {@link Status#REPLAYED}, one reservation per line. */
    public boolean isReserved() {
        return !reservations.isEmpty();
    }

    /** An order granted now, or replayed. */
    public static OrderResult granted(Status status, List<Reservation> reservations) {
        return new OrderResult(status, reservations, NO_LINE);
    }

    /** An order refused because of line {@code failedLine} (or {@link #NO_LINE}); nothing was written. */
    public static OrderResult refused(Status status, int failedLine) {
        return new OrderResult(status, List.of(), failedLine);
    }
}
