package dev.capacity.jdbc;

import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The statements on the reservation table, one method each; transactions belong to the caller.
 * Every change that ends a reservation or a hold names the live state it expects
 * ({@code released_at IS NULL}, and the expiry against the caller's clock), so that of two
 * transactions racing to end, confirm or extend one hold, the second changes nothing.
 *
 * <p>This class is immutable and threadsafe.
 */
final class ReservationRows {

    /**
     * What a reservation is now: {@code family} is null if its resource is gone, {@code expiresAt}
     * null unless it is (or, once ended, was) an unconfirmed hold.
     */
    record State(String resourceId, int quantity, boolean ended, boolean expired, Instant expiresAt, String family,
                 String holderId) {

        /** Whether it is an unconfirmed hold whose expiry is at or before {@code now} and that nobody ended yet. */
        boolean expiredUnended(Instant now) {
            return !ended && expiresAt != null && !expiresAt.isAfter(now);
        }
    }

    /**
     * How a reservation ended, if it did, when it was confirmed, if it was, and when its hold
     * expires, if it is one: for lookups after an unknown COMMIT.
     */
    record Ending(Instant endedAt, boolean expired, Instant confirmedAt, Instant expiresAt, long releaseToken,
                  long confirmToken) {}

    /** An expired hold taken for reclaiming, locked by this transaction. */
    record ExpiredHold(long id, int quantity, String holderId) {}

    private final Sql sql;

    ReservationRows(Sql sql) {
        this.sql = sql;
    }

    /**
     * Inserts the reservation row, a hold if {@code expiresAt} is not null; its id, or empty if
     * the idempotency key is taken (committed, or written earlier in this transaction). Never
     * aborts the transaction for a taken key.
     */
    OptionalLong insert(Connection c, ReservationRequest request, Instant createdAt, Instant expiresAt)
            throws SQLException {
        return sql.dialect.insertReturningId(c, sql.insertReservation,
                s -> bindInsert(s, sql.dialect, request, sql.dialect.timestamp(createdAt), expiresAt));
    }

    /**
     * Inserts one row per request, all of one resource, each expiring as {@code expiries} says
     * (null: permanent); their ids, in the order of the requests. A taken idempotency key fails
     * the statement (and, on PostgreSQL, the transaction).
     */
    long[] insertAll(Connection c, List<ReservationRequest> requests, Instant createdAt, List<Instant> expiries)
            throws SQLException {
        return sql.dialect.insertReservations(c, sql, requests, createdAt, expiries);
    }

    /** Binds the parameters of {@link Sql#insertReservationRow}. */
    static void bindInsert(PreparedStatement s, Dialect dialect, ReservationRequest request, Object createdAt,
                           Instant expiresAt) throws SQLException {
        bindInsert(s, 0, dialect, request, createdAt, expiresAt);
    }

    /** Binds the row's {@value #INSERT_PARAMETERS} parameters after the first {@code offset}, for a multi-row insert. */
    static void bindInsert(PreparedStatement s, int offset, Dialect dialect, ReservationRequest request,
                           Object createdAt, Instant expiresAt) throws SQLException {
        s.setString(offset + 1, request.resourceId());
        s.setString(offset + 2, request.holderId());
        s.setInt(offset + 3, request.quantity());
        s.setString(offset + 4, request.idempotencyKey());
        s.setObject(offset + 5, createdAt);
        s.setObject(offset + 6, expiresAt == null ? null : dialect.timestamp(expiresAt));
    }

    /** The parameters of one row of {@link Sql#insertReservationRow}. */
    static final int INSERT_PARAMETERS = 6;

    Optional<Reservation> byKey(Connection c, String key) throws SQLException {
        return Jdbc.one(c, sql.reservationByKey, this::reservation, key);
    }

    /** The reservations holding any of {@code keys}, by key. */
    Map<String, Reservation> byKeys(Connection c, Collection<String> keys) throws SQLException {
        Map<String, Reservation> found = new HashMap<>();
        if (keys.isEmpty()) {
            return found;
        }
        if (!sql.dialect.hasArrays()) {
            for (Reservation r : Jdbc.list(c, sql.reservationsByKeysIn + Sql.parameterList(keys.size()), this::reservation,
                    keys.toArray())) {
                found.put(r.idempotencyKey(), r);
            }
            return found;
        }
        Array array = c.createArrayOf("VARCHAR", keys.toArray());
        try {
            for (Reservation r : Jdbc.list(c, sql.reservationsByKeys, this::reservation, array)) {
                found.put(r.idempotencyKey(), r);
            }
        } finally {
            array.free();
        }
        return found;
    }

    /** Deletes a reservation this transaction inserted and holds nothing for. */
    void delete(Connection c, long id) throws SQLException {
        Jdbc.updateExactly(c, 1, "deleting reservation " + id, sql.deleteReservation, id);
    }

    boolean exists(Connection c, long id) throws SQLException {
        return Jdbc.one(c, sql.reservationExists, rs -> Boolean.TRUE, id).isPresent();
    }

    Optional<State> state(Connection c, long id) throws SQLException {
        return Jdbc.one(c, sql.reservationState, rs -> new State(rs.getString(1), rs.getInt(2), rs.getObject(3) != null,
                rs.getBoolean(4), sql.dialect.instant(rs, 5), rs.getString(6), rs.getString(7)), id);
    }

    /**
     * Marks the reservation released if it is live and not an expired hold at {@code now}; true if
     * this call did. {@code token} names the call, for the lookup after a COMMIT of unknown outcome:
     * two releases in one microsecond of the clock share their stamp, never their token.
     */
    boolean release(Connection c, long id, Instant now, long token) throws SQLException {
        Object at = sql.dialect.timestamp(now);
        return Jdbc.update(c, sql.release, at, token, id, at) == 1;
    }

    /** Marks the hold ended by expiry if it is live and expired at {@code now}; true if this call did. */
    boolean expire(Connection c, long id, Instant now) throws SQLException {
        Object at = sql.dialect.timestamp(now);
        return Jdbc.update(c, sql.expire, at, id, at) == 1;
    }

    /** Makes the hold permanent if it is live at {@code now}; true if this call did. {@code token} as for {@link #release}. */
    boolean confirm(Connection c, long id, Instant now, long token) throws SQLException {
        Object at = sql.dialect.timestamp(now);
        return Jdbc.update(c, sql.confirm, at, token, id, at) == 1;
    }

    /** Moves the hold's expiry to {@code expiresAt} if it is live at {@code now}; true if this call did. */
    boolean extend(Connection c, long id, Instant now, Instant expiresAt) throws SQLException {
        return Jdbc.update(c, sql.extend, sql.dialect.timestamp(expiresAt), id, sql.dialect.timestamp(now)) == 1;
    }

    /**
     * How the reservation ended and when it was confirmed; empty if it does not exist. Reads the
     * row under an exclusive lock, in the caller's transaction: a transaction that changed it and
     * has not ended yet (its COMMIT still in flight) commits or rolls back first.
     */
    Optional<Ending> ending(Connection c, long id) throws SQLException {
        return Jdbc.lastQuery(c, sql.ending, rs -> new Ending(sql.dialect.instant(rs, 1), rs.getBoolean(2), sql.dialect.instant(rs, 3),
                sql.dialect.instant(rs, 4), rs.getLong(5), rs.getLong(6)), id);
    }

    /**
     * Up to {@code limit} live holds of the resource expired at {@code now}, locked for this
     * transaction; holds another transaction has locked are skipped, not waited for.
     */
    List<ExpiredHold> lockExpired(Connection c, String resourceId, Instant now, int limit) throws SQLException {
        return Jdbc.list(c, sql.expiredHolds, rs -> new ExpiredHold(rs.getLong(1), rs.getInt(2), rs.getString(3)), resourceId,
                sql.dialect.timestamp(now), limit);
    }

    /** Marks the given holds (locked by this transaction) ended by expiry. */
    void expireAll(Connection c, List<ExpiredHold> holds, Instant now) throws SQLException {
        if (!sql.dialect.hasArrays()) {
            Object[] parameters = new Object[holds.size() + 1];
            parameters[0] = sql.dialect.timestamp(now);
            for (int i = 0; i < holds.size(); i++) {
                parameters[i + 1] = holds.get(i).id();
            }
            Jdbc.update(c, sql.expireAllIn + Sql.parameterList(holds.size()), parameters);
            return;
        }
        Array ids = c.createArrayOf("BIGINT", holds.stream().map(ExpiredHold::id).toArray());
        try {
            Jdbc.update(c, sql.expireAll, sql.dialect.timestamp(now), ids);
        } finally {
            ids.free();
        }
    }

    /** Whether the resource has a live hold expired at {@code now} (one that another transaction has locked, say). */
    boolean anyExpired(Connection c, String resourceId, Instant now) throws SQLException {
        return Jdbc.one(c, sql.anyExpiredHold, rs -> Boolean.TRUE, resourceId, sql.dialect.timestamp(now)).isPresent();
    }

    /** Up to {@code limit} resources with live holds expired at {@code now}. */
    List<String> resourcesWithExpired(Connection c, Instant now, int limit) throws SQLException {
        return Jdbc.list(c, sql.resourcesWithExpiredHolds, rs -> rs.getString(1), sql.dialect.timestamp(now), limit);
    }

    private Reservation reservation(ResultSet rs) throws SQLException {
        return new Reservation(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                sql.dialect.instant(rs, 6), Optional.ofNullable(sql.dialect.instant(rs, 7)));
    }
}
