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
    final boolean releaseUnits(Store store, Connection c, ReservationRows.ForRelease reservation, long reservationId,
                               Instant now) throws SQLException {
        if (!store.reservations.markReleased(c, reservationId, now)) {
            return false;
        }
        store.resources.decrement(c, reservation.resourceId(), reservation.quantity());
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
     * this way. The counter row is locked only from the guarded update to the commit.
     */
    final Attempt guardedIncrement(Store store, Connection c, ReservationRequest request, Instant now) throws SQLException {
        OptionalLong id = store.reservations.insert(c, request, now);
        if (id.isEmpty()) {
            return replay(store, c, request);
        }
        OptionalLong left = store.resources.conditionalIncrement(c, request.resourceId(), request.quantity());
        if (left.isPresent()) {
            return Attempt.reserved(reservation(id.getAsLong(), request, now), left.getAsLong());
        }
        return refusal(store, c, request);
    }

    /**
     * Why a guarded change did not happen: no such resource, the other family, or not enough
     * room. If there is room now (a release or a resize landed in between), the attempt is retried.
     */
    private Attempt refusal(Store store, Connection c, ReservationRequest request) throws SQLException {
        Optional<ResourceRow> row = store.resources.select(c, request.resourceId());
        if (row.isEmpty()) {
            return Attempt.refused(Status.UNKNOWN_RESOURCE, 0);
        }
        requireFamily(row.get().family(), request.resourceId());
        if (fits(row.get(), request)) {
            return Attempt.retry("capacity changed during the attempt");
        }
        return Attempt.refused(Status.INSUFFICIENT_CAPACITY, row.get().available());
    }

    static boolean fits(ResourceRow row, ReservationRequest request) {
        return request.quantity() <= row.capacity() - row.reserved();
    }
}
