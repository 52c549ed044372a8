package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * pessimistic-lock: {@code SELECT ... FOR UPDATE} (Rails' {@code with_lock}), decide, update. The
 * row lock is held from the read to the commit, so the decision is made on a value nobody can
 * change meanwhile. A lock wait longer than {@link StrategyOptions#lockTimeout()} gives up the
 * attempt, which is retried within the budget. The reservation row goes in before the lock is
 * taken, to keep the time under the lock short.
 */
final class PessimisticLockStrategy extends CounterStrategy {

    PessimisticLockStrategy(ConnectionSource connections, StrategyOptions options) {
        super(StrategyKind.PESSIMISTIC_LOCK, connections, options);
    }

    @Override
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined) throws SQLException {
        Instant expiry = expiryOf(request, now);
        OptionalLong id = store.reservations.insert(c, request, now, expiry);
        if (id.isEmpty()) {
            return replay(store, c, request);
        }
        Optional<ResourceRow> locked = joined
                ? store.resources.lockKeepingSettings(c, request.resourceId())
                : store.resources.lock(c, request.resourceId());
        if (locked.isEmpty()) {
            return Attempt.refused(Status.UNKNOWN_RESOURCE, 0);
        }
        ResourceRow row = locked.get();
        requireFamily(row.family(), request.resourceId());
        if (!fits(row, request) && reclaimExpired(store, c, request.resourceId(), now) > 0) {
            // under the lock this attempt holds: the row as the reclaim left it
            row = store.resources.select(c, request.resourceId()).orElseThrow();
        }
        if (!fits(row, request)) {
            return full(store, c, request, row, now);
        }
        if (row.isLimited()) {
            Attempt limited = takeHolderUnits(store, c, request, row.holderLimit(), row.available(), now);
            if (limited != null) {
                return limited;
            }
        }
        store.resources.increment(c, request.resourceId(), request.quantity());
        return Attempt.reserved(reservation(id.getAsLong(), request, now, expiry),
                row.capacity() - row.reserved() - request.quantity());
    }
}
