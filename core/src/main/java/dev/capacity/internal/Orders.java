package dev.capacity.internal;

import dev.capacity.OrderResult;
import dev.capacity.ReservationRequest;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The checks every order passes before anything is written. Not API. */
public final class Orders {

    private Orders() {}

    /**
     * The lines of an order: not null, not empty, at most {@link OrderResult#MAX_LINES}, no null
     * line, and no idempotency key on two lines (each line is one reservation).
     */
    public static List<ReservationRequest> requireLines(List<ReservationRequest> lines) {
        Arguments.requireNonNull(lines, "lines");
        Arguments.requireArgument(!lines.isEmpty(), "lines must not be empty: an order has at least one line");
        Arguments.requireArgument(lines.size() <= OrderResult.MAX_LINES, "lines must be at most %d, was %d",
                OrderResult.MAX_LINES, lines.size());
        Map<String, Integer> keys = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            ReservationRequest line = lines.get(i);
            if (line == null) {
                throw new NullPointerException("lines[" + i + "] must not be null");
            }
            if (line.idempotencyKey() != null) {
                Integer first = keys.putIfAbsent(line.idempotencyKey(), i);
                Arguments.requireArgument(first == null, "lines[%d] and lines[%d] carry the same idempotency key '%s'",
                        first, i, line.idempotencyKey());
            }
        }
        return List.copyOf(lines);
    }
}
