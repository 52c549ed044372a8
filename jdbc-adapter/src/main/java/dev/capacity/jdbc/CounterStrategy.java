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
                                 Instant now, boolean byExpiry) throws SQLException {
        boolean ended = byExpiry ? store.reservations.expire(c, reservationId, now)
                : store.reservations.release(c, reservationId, now);
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
        if (!store.resources.resizeCounter(c, resourceId, newCapacity)) {
            requireFamily(requireDefined(store, c, resourceId).family(), resourceId);
        }
    }

    @Override
    final long adjustIn(Store store, Connection c, String resourceId, long delta) throws SQLException {
        for (;;) {
            OptionalLong capacity = store.resources.adjustCounter(c, resourceId, delta);
            if (capacity.isPresent()) {
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
     * this way. The counter row is locked only from the guarded update to the commit. When the
     * guard refuses, the resource's expired holds are reclaimed in this transaction (which then
     * holds the counter row's lock) and the guard is tried once more.
     */
    final Attempt guardedIncrement(Store store, Connection c, ReservationRequest request, Instant now) throws SQLException {
        Instant expiry = expiryOf(request, now);
        OptionalLong id = store.reservations.insert(c, request, now, expiry);
        if (id.isEmpty()) {
            return replay(store, c, request);
        }
        for (boolean reclaimed = false; ; reclaimed = true) {
            Optional<ResourceRows.Guarded> taken = store.resources.conditionalIncrement(c, request.resourceId(),
                    request.quantity());
            if (taken.isPresent()) {
                long left = taken.get().left();
                if (taken.get().holderLimit() != Long.MAX_VALUE) {
                    Attempt limited = takeHolderUnits(store, c, request, taken.get().holderLimit(), left + request.quantity(), now);
                    if (limited != null) {
                        return limited;
                    }
                }
                return Attempt.reserved(reservation(id.getAsLong(), request, now, expiry), left);
            }
            // why not: no such resource, the other family, or not enough room
            Optional<ResourceRow> row = store.resources.select(c, request.resourceId());
            if (row.isEmpty()) {
                return Attempt.refused(Status.UNKNOWN_RESOURCE, 0);
            }
            requireFamily(row.get().family(), request.resourceId());
            if (fits(row.get(), request)) {
                // a release or a resize landed in between
                return Attempt.retry("capacity changed during the attempt");
            }
            if (reclaimed || reclaimExpired(store, c, request.resourceId(), now) == 0) {
                return full(store, c, request, row.get(), now);
            }
        }
    }

    static boolean fits(ResourceRow row, ReservationRequest request) {
        return request.quantity() <= row.capacity() - row.reserved();
    }
}
