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
        Taken taken = lockedTake(store, c, request.resourceId(), request.quantity(), now, joined);
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

    @Override
    Attempt takePart(Store store, Connection c, OrderPart part, long[] ids, Instant now, boolean joined)
            throws SQLException {
        Taken taken = lockedTake(store, c, part.resourceId, part.units, now, joined);
        part.holderLimit = taken.holderLimit();
        return taken.refusal();
    }

    /** Locks the row, decides on what it holds (reclaiming expired holds if short), and takes {@code units}. */
    private Taken lockedTake(Store store, Connection c, String resourceId, long units, Instant now, boolean joined)
            throws SQLException {
        Optional<ResourceRow> locked = joined
                ? store.resources.lockKeepingSettings(c, resourceId)
                : store.resources.lock(c, resourceId);
        if (locked.isEmpty()) {
            return Taken.refused(Attempt.refused(Status.UNKNOWN_RESOURCE, 0));
        }
        ResourceRow row = locked.get();
        requireFamily(row.family(), resourceId);
        if (!fits(row, units) && reclaimExpired(store, c, resourceId, now) > 0) {
            // under the lock this attempt holds: the row as the reclaim left it
            row = store.resources.select(c, resourceId).orElseThrow();
        }
        if (!fits(row, units)) {
            return Taken.refused(full(store, c, resourceId, units, now, counterFree(store, c, resourceId)));
        }
        store.resources.increment(c, resourceId, units, row.capacity() - row.reserved());
        return new Taken(row.capacity() - row.reserved() - units, row.holderLimit(), null);
    }
}
