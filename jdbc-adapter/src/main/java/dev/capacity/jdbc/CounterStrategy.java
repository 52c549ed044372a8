package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.CapacityMath;

import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The counter family: a resource row holds {@code capacity}, {@code reserved} and
 * {@code version}, and every change to {@code reserved} or {@code capacity} also increments
 * {@code version}. That shared rule is what lets the three counter strategies run on one resource
 * at once: a guarded update re-checks the row it changes, a locked read waits for it, and a
 * versioned update fails if anything changed since its read.
 */
abstract class CounterStrategy extends JdbiStrategy {

    CounterStrategy(StrategyKind kind, Jdbi jdbi, StrategyOptions options) {
        super(kind, Sql.COUNTER, jdbi, options);
    }

    @Override
    final boolean releaseUnits(Store store, Connection c, Store.ReleaseRow reservation, long reservationId,
                               Instant now) throws SQLException {
        if (!store.markReleased(c, reservationId, now)) {
            return false;
        }
        store.decrement(c, reservation.resourceId(), reservation.quantity());
        return true;
    }

    @Override
    final void resizeIn(Store store, Connection c, String resourceId, long newCapacity) throws SQLException {
        if (store.resizeCounter(c, resourceId, newCapacity) == 1) {
            return;
        }
        Store.ResourceRow row = store.selectResource(c, resourceId)
                .orElseThrow(() -> new IllegalArgumentException("resourceId '" + resourceId + "' is not defined"));
        requireFamily(row.family(), resourceId);
    }

    @Override
    final long adjustIn(Store store, Connection c, String resourceId, long delta) throws SQLException {
        for (;;) {
            OptionalLong capacity = store.adjustCounter(c, resourceId, delta);
            if (capacity.isPresent()) {
                return capacity.getAsLong();
            }
            Store.ResourceRow row = store.selectResource(c, resourceId)
                    .orElseThrow(() -> new IllegalArgumentException("resourceId '" + resourceId + "' is not defined"));
            requireFamily(row.family(), resourceId);
            // throws if the capacity read now cannot take the delta; if it can, it changed meanwhile: again
            CapacityMath.adjusted(resourceId, row.capacity(), delta);
        }
    }

    /**
     * Why a guarded change did not happen: no such resource, the other family, or not enough
     * room. If there is room now (a release or a resize landed in between), the attempt is retried.
     */
    final Attempt refusal(Store store, Connection c, ReservationRequest request) throws SQLException {
        Optional<Store.ResourceRow> row = store.selectResource(c, request.resourceId());
        if (row.isEmpty()) {
            return Attempt.refused(Status.UNKNOWN_RESOURCE, 0);
        }
        requireFamily(row.get().family(), request.resourceId());
        if (fits(row.get(), request)) {
            return Attempt.retry("capacity changed during the attempt");
        }
        return Attempt.refused(Status.INSUFFICIENT_CAPACITY, row.get().available());
    }

    static boolean fits(Store.ResourceRow row, ReservationRequest request) {
        return request.quantity() <= row.capacity() - row.reserved();
    }
}
