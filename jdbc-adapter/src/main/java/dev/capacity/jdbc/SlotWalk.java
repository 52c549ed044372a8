package dev.capacity.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks the slots {@code [from, to)} of a resource upward and yields the ones no committed row
 * (and no row of this transaction) occupies, reading the occupied ones from the index a window
 * at a time. A walk starts by reading just enough to see whether the slots it wants are free (on
 * a roomy resource they are), and doubles its reads up to {@value #MAX_WINDOW} as it meets
 * occupied runs.
 *
 * <p>Not threadsafe: one per attempt.
 */
final class SlotWalk {

    /** The most occupied slots read per statement. */
    private static final int MAX_WINDOW = 1024;

    private final Store store;
    private final Connection c;
    private final String resourceId;
    private final long to;
    private long cursor;
    private int window;

    SlotWalk(Store store, Connection c, String resourceId, long from, long to) {
        this.store = store;
        this.c = c;
        this.resourceId = resourceId;
        this.cursor = from;
        this.to = to;
    }

    /** Up to {@code max} free slots after the ones already yielded; empty when the walk is done. */
    List<Long> next(int max) throws SQLException {
        List<Long> free = new ArrayList<>();
        while (free.isEmpty() && cursor < to) {
            window = window == 0 ? max + 1 : Math.min(MAX_WINDOW, window * 2);
            int limit = Math.max(window, max + 1);
            List<Long> occupied = store.slots.occupied(c, resourceId, cursor, to, limit);
            // every slot in [cursor, end) is either listed in occupied or free
            long end = occupied.size() < limit ? to : occupied.get(occupied.size() - 1) + 1;
            int next = 0;
            while (cursor < end && free.size() < max) {
                if (next < occupied.size() && occupied.get(next) == cursor) {
                    next++;
                } else {
                    free.add(cursor);
                }
                cursor++;
            }
        }
        return free;
    }

    /** Adds free slots to {@code chosen} until it holds {@code wanted} or the walk is done. */
    void take(int wanted, List<Long> chosen) throws SQLException {
        while (chosen.size() < wanted) {
            List<Long> free = next(wanted - chosen.size());
            if (free.isEmpty()) {
                return;
            }
            chosen.addAll(free);
        }
    }
}
