package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.CapacityMath;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The counter family: a resource row holds {@code capacity}, {@code reserved} and
 * {@code version}, and every change to {@code reserved} or {@code capacity} also increments
 * {@code version}. That shared rule is what lets the counter strategies run on one resource at
 * once: a guarded update re-checks the row it changes, a locked read waits for it, and a
 * versioned update fails if anything changed since its read.
 */
abstract class CounterStrategy extends JdbiStrategy {

    CounterStrategy(StrategyKind kind, ConnectionSource connections, StrategyOptions options) {
        super(kind, Sql.COUNTER, connections, options);
    }

    @Override
    final boolean endReservation(Store store, Connection c, ReservationRows.State reservation, long reservationId,
                                 Instant now, boolean byExpiry, long releaseToken) throws SQLException {
        boolean ended = byExpiry ? store.reservations.expire(c, reservationId, now)
                : store.reservations.release(c, reservationId, now, releaseToken);
        if (!ended) {
            return false;
        }
        if (store.resources.decrement(c, reservation.resourceId(), reservation.quantity()) != Long.MAX_VALUE) {
            store.holders.give(c, reservation.resourceId(), reservation.holderId(), reservation.quantity());
        }
        return true;
    }

    @Override
    final void resizeIn(Store store, Connection c, String resourceId, long newCapacity) throws SQLException {
        // locked first, to know what was available before
        ResourceRow row = store.resources.lock(c, resourceId)
                .orElseThrow(() -> new IllegalArgumentException("resourceId '" + resourceId + "' is not defined"));
        requireFamily(row.family(), resourceId);
        store.resources.resizeCounter(c, resourceId, newCapacity);
        AfterCommit.stock(resourceId, row.capacity() - row.reserved(), newCapacity - row.reserved());
    }

    @Override
    final long adjustIn(Store store, Connection c, String resourceId, long delta) throws SQLException {
        for (;;) {
            OptionalLong capacity = store.resources.adjustCounter(c, resourceId, delta);
            if (capacity.isPresent()) {
                // this transaction holds the row's lock since the update
                long reserved = store.resources.select(c, resourceId).orElseThrow().reserved();
                AfterCommit.stock(resourceId, capacity.getAsLong() - delta - reserved, capacity.getAsLong() - reserved);
                return capacity.getAsLong();
            }
            ResourceRow row = requireDefined(store, c, resourceId);
            requireFamily(row.family(), resourceId);
            // throws if the capacity read now cannot take the delta; if it can, it changed meanwhile: again
            CapacityMath.adjusted(resourceId, row.capacity(), delta);
        }
    }

    private static ResourceRow requireDefined(Store store, Connection c, String resourceId) throws SQLException {
        return store.resources.select(c, resourceId)
                .orElseThrow(() -> new IllegalArgumentException("resourceId '" + resourceId + "' is not defined"));
    }

    /**
     * The conditional-update attempt: the reservation row, then one guarded increment
     * ({@code UPDATE ... WHERE reserved <= capacity - q}); for any counter strategy that reserves
     * this way. The counter row is locked only from the guarded update to the commit.
     */
    final Attempt guardedIncrement(Store store, Connection c, ReservationRequest request, Instant now) throws SQLException {
        Instant expiry = expiryOf(request, now);
        OptionalLong id = store.reservations.insert(c, request, now, expiry);
        if (id.isEmpty()) {
            return replay(store, c, request);
        }
        Taken taken = guardedTake(store, c, request.resourceId(), request.quantity(), now);
        if (taken.refusal() != null) {
            return taken.refusal();
        }
        if (taken.holderLimit() != Long.MAX_VALUE) {
            Attempt limited = takeHolderUnits(store, c, request.resourceId(), request.holderId(), request.quantity(),
                    taken.holderLimit(), taken.left() + request.quantity(), now);
            if (limited != null) {
                return limited;
            }
        }
        return Attempt.reserved(reservation(id.getAsLong(), request, now, expiry), taken.left());
    }

    /** An order's part the conditional-update way: one guarded increment of the part's units. */
    final Attempt guardedPart(Store store, Connection c, OrderPart part, Instant now) throws SQLException {
        Taken taken = guardedTake(store, c, part.resourceId, part.units, now);
        part.holderLimit = taken.holderLimit();
        return taken.refusal();
    }

    /**
     * What taking units from a counter left: the units left and the per-holder limit, or why it
     * could not (a refusal or a lost race).
     */
    record Taken(long left, long holderLimit, Attempt refusal) {
        static Taken refused(Attempt refusal) {
            return new Taken(0, Long.MAX_VALUE, refusal);
        }
    }

    /**
     * One guarded increment of {@code units}. When the guard refuses, the resource's expired holds
     * are reclaimed in this transaction (which then holds the counter row's lock) and the guard is
     * tried once more.
     */
    final Taken guardedTake(Store store, Connection c, String resourceId, long units, Instant now) throws SQLException {
        for (boolean reclaimed = false; ; reclaimed = true) {
            Optional<ResourceRows.Guarded> taken = store.resources.conditionalIncrement(c, resourceId, units);
            if (taken.isPresent()) {
                return new Taken(taken.get().left(), taken.get().holderLimit(), null);
            }
            // why not: no such resource, the other family, or not enough room
            Optional<ResourceRow> row = store.resources.select(c, resourceId);
            if (row.isEmpty()) {
                return Taken.refused(Attempt.refused(Status.UNKNOWN_RESOURCE, 0));
            }
            requireFamily(row.get().family(), resourceId);
            if (fits(row.get(), units)) {
                // a release or a resize landed in between
                return Taken.refused(Attempt.retry("capacity changed during the attempt"));
            }
            if (reclaimed || reclaimExpired(store, c, resourceId, now) == 0) {
                return Taken.refused(full(store, c, resourceId, units, now, counterFree(store, c, resourceId)));
            }
        }
    }

    static boolean fits(ResourceRow row, long units) {
        return units <= row.capacity() - row.reserved();
    }

    static boolean fits(ResourceRow row, ReservationRequest request) {
        return fits(row, request.quantity());
    }
}
