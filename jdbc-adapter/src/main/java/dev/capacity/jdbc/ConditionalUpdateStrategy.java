package dev.capacity.jdbc;

import dev.capacity.ReservationRequest;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;

import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * conditional-update: one guarded statement,
 * {@code UPDATE resource SET reserved = reserved + q WHERE id = ? AND reserved <= capacity - q}.
 * The database evaluates the guard on the newest committed row after waiting for any writer of
 * it, so two callers can never both take the last unit; zero rows changed means full (or no such
 * resource, which a follow-up read tells apart). The reservation row goes in first, so the
 * counter row is locked only from the guarded update to the commit.
 */
final class ConditionalUpdateStrategy extends CounterStrategy {

    ConditionalUpdateStrategy(Jdbi jdbi, StrategyOptions options) {
        super(StrategyKind.CONDITIONAL_UPDATE, jdbi, options);
    }

    @Override
    Attempt attempt(Store store, Connection c, ReservationRequest request, Instant now, boolean joined) throws SQLException {
        return guarded(this, store, c, request, now);
    }

    /** The conditional-update attempt, for any counter strategy that reserves this way. */
    static Attempt guarded(CounterStrategy strategy, Store store, Connection c, ReservationRequest request, Instant now)
            throws SQLException {
        OptionalLong id = store.insertReservation(c, request, now);
        if (id.isEmpty()) {
            return replay(store, c, request);
        }
        OptionalLong left = store.conditionalIncrement(c, request.resourceId(), request.quantity());
        if (left.isPresent()) {
            return Attempt.reserved(reservation(id.getAsLong(), request, now), left.getAsLong());
        }
        return strategy.refusal(store, c, request);
    }
}
