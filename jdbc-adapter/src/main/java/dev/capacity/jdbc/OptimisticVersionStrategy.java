package dev.capacity.jdbc;

import dev.capacity.Reservation;
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
 * optimistic-version: read the row and its version without a lock, decide, then
 * {@code UPDATE ... WHERE version = ?}. If anyone changed the row since the read (any counter
 * strategy's change, a release or a resize increments the version), no row matches; the attempt
 * rolls back and is retried after a jittered backoff, until the budget is spent.
 *
 * <p>A reservation that lost that race once tries again with the guarded update of
 * conditional-update ({@code WHERE reserved <= capacity - q}), which waits its turn for the row
 * instead of reading it again and racing every newcomer: under contention a caller that keeps
 * losing the version race would otherwise keep backing off (at 64 threads on one resource its p99
 * was three times conditional-update's). Uncontended, and on every first try, the strategy is the
 * version check it is named for. Every try takes the counter's row before it inserts the
 * reservation row: a retry that inserted first (conditional-update's order) would hold its
 * idempotency key while waiting for the row, and the same request sent again, whose first try
 * holds the row and waits for the key, would deadlock with it.
 *
 * <p>This is the Rails {@code lock_version} recipe made to work for the course-run problem: the
 * version check guards the parent row <em>in the same transaction</em> as the child row, which is
 * exactly what creating an attendance through a counter cache skipped.
 *
 * <p>The reservation row is inserted after the versioned update succeeded, so an attempt that
 * loses the race writes nothing at all. Its idempotency key is checked then (a taken key rolls the
 * attempt back and answers as a replay), and, when the resource has no room, before the refusal,
 * so a replay is answered as a replay even after the resource filled up.
 */
final class OptimisticVersionStrategy extends CounterStrategy {

    OptimisticVersionStrategy(ConnectionSource connections, StrategyOptions options) {
        super(StrategyKind.OPTIMISTIC_VERSION, connections, options);
    }

    @Override
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined) throws SQLException {
        return reserveAfter(store, c, request, now, versionedTake(store, c, request.resourceId(), request.quantity(), now));
    }

    /** The first try checks the version; a try after a lost race takes the guarded update's turn. */
    @Override
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined, int number)
            throws SQLException {
        return number == 1 ? attempt(store, c, request, now, joined)
                : reserveAfter(store, c, request, now, guardedTake(store, c, request.resourceId(), request.quantity(), now));
    }

    /**
     * The rest of a try once the counter's units were taken (or not): the holder's units, then the
     * reservation row, whose taken key rolls the try back and answers as a replay.
     */
    private Attempt reserveAfter(Store store, Connection c, ReservationRequest request, Instant now, Taken taken)
            throws SQLException {
        if (taken.refusal() != null) {
            return unlessReplay(store, c, request, taken.refusal());
        }
        if (taken.holderLimit() != Long.MAX_VALUE) {
            Attempt limited = takeHolderUnits(store, c, request.resourceId(), request.holderId(), request.quantity(),
                    taken.holderLimit(), taken.left() + request.quantity(), now);
            if (limited != null) {
                return unlessReplay(store, c, request, limited);
            }
        }
        Instant expiry = expiryOf(request, now);
        OptionalLong id = store.reservations.insert(c, request, now, expiry);
        if (id.isEmpty()) {
            // the key is taken: this attempt's increment is rolled back with it
            return replay(store, c, request);
        }
        return Attempt.reserved(reservation(id.getAsLong(), request, now, expiry), taken.left());
    }

    @Override
    Attempt takePart(Store store, Connection c, OrderPart part, long[] ids, Instant now, boolean joined)
            throws SQLException {
        Taken taken = versionedTake(store, c, part.resourceId, part.units, now);
        part.holderLimit = taken.holderLimit();
        return taken.refusal();
    }

    /**
     * Reads the row, decides, and takes {@code units} if its version is still the one read; a
     * changed version is a lost race. Short of room, the expired holds are reclaimed first (the
     * reclaim locks the row: it is read again).
     */
    private Taken versionedTake(Store store, Connection c, String resourceId, long units, Instant now) throws SQLException {
        Optional<ResourceRow> read = store.resources.select(c, resourceId);
        if (read.isEmpty()) {
            return Taken.refused(Attempt.refused(Status.UNKNOWN_RESOURCE, 0));
        }
        ResourceRow row = read.get();
        requireFamily(row.family(), resourceId);
        if (!fits(row, units) && reclaimExpired(store, c, resourceId, now) > 0) {
            // the reclaim changed the row, and this transaction holds its lock now: read it again
            row = store.resources.select(c, resourceId).orElseThrow();
        }
        if (!fits(row, units)) {
            return Taken.refused(full(store, c, resourceId, units, now, counterFree(store, c, resourceId)));
        }
        if (!store.resources.versionedIncrement(c, resourceId, units, row.version(),
                row.capacity() - row.reserved())) {
            return Taken.refused(Attempt.retry("version " + row.version() + " of '" + resourceId + "' changed"));
        }
        return new Taken(row.capacity() - row.reserved() - units, row.holderLimit(), null);
    }

    /** A refusal must not hide a replay: a key already used is answered as such. */
    private static Attempt unlessReplay(Store store, Connection c, ReservationRequest request, Attempt refusal)
            throws SQLException {
        if (request.idempotencyKey() != null && !refusal.isRetry()) {
            Optional<Reservation> existing = store.reservations.byKey(c, request.idempotencyKey());
            if (existing.isPresent()) {
                return Attempt.replayOf(request, existing.get());
            }
        }
        return refusal;
    }
}
