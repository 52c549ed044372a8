package dev.capacity.jdbc;

import java.util.ArrayList;
import java.util.List;

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
    private final AfterCommit outer;

    private AfterCommit(AfterCommit outer) {
        this.outer = outer;
    }

    /** Opens a scope on this thread, inside the one open before (a scope never leaks into the outer one). */
    static AfterCommit open() {
        AfterCommit scope = new AfterCommit(CURRENT.get());
        CURRENT.set(scope);
        return scope;
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

    /** Drops the events added since {@code mark}: what an attempt rolled back. */
    void dropFrom(int mark) {
        events.subList(mark, events.size()).clear();
    }

    boolean isEmpty() {
        return events.isEmpty();
    }

    /** Tells the events held, in the order they were added, and forgets them. */
    void tell() {
        List<Runnable> held = List.copyOf(events);
        events.clear();
        for (Runnable event : held) {
            event.run();
        }
    }
}
