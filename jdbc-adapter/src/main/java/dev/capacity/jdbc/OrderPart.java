package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The lines of an order on one resource: their units together, and each holder's units together,
 * for the strategy to take in one step. Parts are taken in resource id order, and a part's
 * holders in holder id order: the one order in which every transaction takes resource rows (and
 * holder rows after their resource's), so orders over the same resources never wait on each
 * other in a circle.
 *
 * <p>Not threadsafe: one per order attempt.
 */
final class OrderPart {

    final String resourceId;
    /** The part's line indexes in the order, ascending. */
    final List<Integer> lines = new ArrayList<>();
    /** The quantity of each of {@link #lines}. */
    final List<Integer> quantities = new ArrayList<>();
    /** Each holder's units, by holder id. */
    final Map<String, Long> holders = new TreeMap<>();
    /** Each holder's first line, by holder id. */
    final Map<String, Integer> holdersFirstLine = new TreeMap<>();
    long units;
    /** Set by the attempt that takes the part: the resource's per-holder limit ({@link Long#MAX_VALUE}: none). */
    long holderLimit;
    /** Set by the attempt that refuses the part: the line to name. */
    int failedLine;

    private OrderPart(String resourceId) {
        this.resourceId = resourceId;
    }

    /** The order's lines by resource, in resource id order. */
    static List<OrderPart> of(List<ReservationRequest> lines) {
        Map<String, OrderPart> parts = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            ReservationRequest line = lines.get(i);
            OrderPart part = parts.computeIfAbsent(line.resourceId(), OrderPart::new);
            part.lines.add(i);
            part.quantities.add(line.quantity());
            part.units += line.quantity();
            part.holders.merge(line.holderId(), (long) line.quantity(), Long::sum);
            part.holdersFirstLine.putIfAbsent(line.holderId(), i);
        }
        return List.copyOf(parts.values());
    }

    /**
     * The order in which the lines' reservation rows are inserted: keyed lines by key, then the
     * others, so that two orders sharing keys wait for each other's keys in one order.
     */
    static List<Integer> insertOrder(List<ReservationRequest> lines) {
        List<Integer> order = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing((Integer i) -> lines.get(i).idempotencyKey(),
                Comparator.nullsLast(Comparator.naturalOrder())));
        return order;
    }

    /** Before each attempt: nothing taken yet, and the part's first line to name by default. */
    void reset() {
        holderLimit = Long.MAX_VALUE;
        failedLine = lines.get(0);
    }

    @Override
    public String toString() {
        return units + " unit(s) of '" + resourceId + "' (lines " + lines + ")";
    }
}
