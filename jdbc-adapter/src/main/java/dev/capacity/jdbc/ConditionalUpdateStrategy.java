package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;

/**
 * conditional-update: one guarded statement,
 * {@code UPDATE resource SET reserved = reserved + q WHERE id = ? AND reserved <= capacity - q}.
 * The database evaluates the guard on the newest committed row after waiting for any writer of
 * it, so two callers can never both take the last unit; zero rows changed means full (or no such
 * resource, which a follow-up read tells apart). The reservation row goes in first, so the
 * counter row is locked only from the guarded update to the commit.
 */
final class ConditionalUpdateStrategy extends CounterStrategy {

    ConditionalUpdateStrategy(ConnectionSource connections, StrategyOptions options) {
        super(StrategyKind.CONDITIONAL_UPDATE, connections, options);
    }

    /** An order's part: conditional-update's guarded increment, outside any batch. */
    @Override
    Attempt takePart(Store store, Connection c, OrderPart part, long[] ids, Instant now, boolean joined)
            throws SQLException {
        return guardedPart(store, c, part, now);
    }

    @Override
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined) throws SQLException {
        return guardedIncrement(store, c, request, now);
    }
}
