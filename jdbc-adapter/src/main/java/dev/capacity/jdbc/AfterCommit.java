package dev.capacity.jdbc;

import dev.capacity.ReservationListener;
import dev.capacity.internal.Events;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The listener's events of the transaction running on this thread, held until it commits and
 * dropped if it rolls back, so that a listener never hears of something that did not happen. Code
 * deep inside a transaction (ending expired holds, say) adds its event with {@link #add} and need
 * not know whose transaction it runs in: {@link Transactions} opens a scope around each attempt of
 * a transaction of its own, and tells its events once the COMMIT succeeded; around a call in the
 * caller's transaction it opens one scope, drops what an attempt rolled back to its savepoint, and
 * hands the rest to the caller's handle, to be told after the caller commits. (Spring binds its
 * transaction synchronizations to the thread the same way.) Outside any scope an event is told at
 * once.
 *
 * <p>Not threadsafe: a scope belongs to the thread that opened it.
 */
final class AfterCommit {

    private static final ThreadLocal<AfterCommit> CURRENT = new ThreadLocal<>();

    private final List<Runnable> events = new ArrayList<>(2);
    /** Each resource whose available units the transaction changed: {first before, last after}. */
    private final Map<String, long[]> stock = new LinkedHashMap<>(2);
    private final AfterCommit outer;
    private final ReservationListener listener;
    private final String strategy;

    private AfterCommit(AfterCommit outer, ReservationListener listener, String strategy) {
        this.outer = outer;
        this.listener = listener;
        this.strategy = strategy;
    }

    /**
     * Opens a scope on this thread, inside the one open before (a scope never leaks into the outer
     * one), whose stock events go to {@code listener} as {@code strategy}'s.
     */
    static AfterCommit open(ReservationListener listener, String strategy) {
        AfterCommit scope = new AfterCommit(CURRENT.get(), listener, strategy);
        CURRENT.set(scope);
        return scope;
    }

    /**
     * Notes that the transaction running on this thread took a resource's available units from
     * {@code before} to {@code after}. What is told after the commit is the transaction's whole
     * move: from the first write's before to the last write's after (units taken and given back
     * in one transaction move nothing), a sell-out if it crossed to zero or below, back in stock
     * if it crossed back. Transactions that change a resource's units hold its row's lock until
     * they end, so one's after is the next one's before, and the moves alternate. Outside a scope
     * nothing is noted: every write of units runs in one.
     */
    static void stock(String resourceId, long before, long after) {
        AfterCommit scope = CURRENT.get();
        if (scope == null) {
            return;
        }
        long[] move = scope.stock.get(resourceId);
        if (move == null) {
            scope.stock.put(resourceId, new long[] {before, after});
        } else {
            move[1] = after;
        }
    }

    /**
     * Holds {@code event} until the transaction running on this thread commits; tells it at once
     * if none is running. The event must guard the listener itself ({@code Events} does).
     */
    static void add(Runnable event) {
        AfterCommit scope = CURRENT.get();
        if (scope == null) {
            event.run();
        } else {
            scope.events.add(event);
        }
    }

    /** Closes this scope: the thread's scope is the one open before again. Its events stay here. */
    void close() {
        if (outer == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(outer);
        }
    }

    /** How many events are held: for {@link #dropFrom}. */
    int mark() {
        return events.size();
    }

    /**
     * Drops what an attempt rolled back: the events added since {@code mark}, and every stock
     * move (those of earlier attempts were dropped with them).
     */
    void dropFrom(int mark) {
        events.subList(mark, events.size()).clear();
        stock.clear();
    }

    boolean isEmpty() {
        return events.isEmpty() && stock.isEmpty();
    }

    /** Tells the events held, in the order they were added, then the stock moves, and forgets them. */
    void tell() {
        List<Runnable> held = List.copyOf(events);
        List<Map.Entry<String, long[]>> moves = List.copyOf(stock.entrySet());
        events.clear();
        stock.clear();
        for (Runnable event : held) {
            event.run();
        }
        for (Map.Entry<String, long[]> move : moves) {
            Events.stock(listener, strategy, move.getKey(), move.getValue()[0], move.getValue()[1]);
        }
    }
}
