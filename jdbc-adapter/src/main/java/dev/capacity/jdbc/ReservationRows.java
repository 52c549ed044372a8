package dev.capacity.jdbc;

import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The statements on the reservation table, one method each; transactions belong to the caller.
 *
 * <p>This class is immutable and threadsafe.
 */
final class ReservationRows {

    /** What a release needs to know about a reservation; {@code family} is null if its resource is gone. */
    record ForRelease(String resourceId, int quantity, boolean released, String family) {}

    private final Sql sql;

    ReservationRows(Sql sql) {
        this.sql = sql;
    }

    /**
     * Inserts the reservation row; its id, or empty if the idempotency key is taken (committed,
     * or written earlier in this transaction). Never aborts the transaction for a taken key.
     */
    OptionalLong insert(Connection c, ReservationRequest request, Instant createdAt) throws SQLException {
        return sql.dialect.insertReturningId(c, sql.insertReservation, s -> bindInsert(s, request, Jdbc.timestamp(createdAt)));
    }

    /**
     * Inserts one row per request, all of one resource; their ids, in the order of the requests.
     * A taken idempotency key fails the statement (and, on PostgreSQL, the transaction).
     */
    long[] insertAll(Connection c, List<ReservationRequest> requests, Instant createdAt) throws SQLException {
        return sql.dialect.insertReservations(c, sql, requests, createdAt);
    }

    /** Binds the parameters of {@link Sql#insertReservationRow}. */
    static void bindInsert(PreparedStatement s, ReservationRequest request, OffsetDateTime createdAt) throws SQLException {
        s.setString(1, request.resourceId());
        s.setString(2, request.holderId());
        s.setInt(3, request.quantity());
        s.setString(4, request.idempotencyKey());
        s.setObject(5, createdAt);
    }

    Optional<Reservation> byKey(Connection c, String key) throws SQLException {
        return Jdbc.one(c, sql.reservationByKey, ReservationRows::reservation, key);
    }

    /** The reservations holding any of {@code keys}, by key. */
    Map<String, Reservation> byKeys(Connection c, Collection<String> keys) throws SQLException {
        Map<String, Reservation> found = new HashMap<>();
        if (keys.isEmpty()) {
            return found;
        }
        Array array = c.createArrayOf("VARCHAR", keys.toArray());
        try {
            for (Reservation r : Jdbc.list(c, sql.reservationsByKeys, ReservationRows::reservation, array)) {
                found.put(r.idempotencyKey(), r);
            }
        } finally {
            array.free();
        }
        return found;
    }

    boolean exists(Connection c, long id) throws SQLException {
        return Jdbc.one(c, sql.reservationExists, rs -> Boolean.TRUE, id).isPresent();
    }

    Optional<ForRelease> forRelease(Connection c, long id) throws SQLException {
        return Jdbc.one(c, sql.reservationForRelease,
                rs -> new ForRelease(rs.getString(1), rs.getInt(2), rs.getObject(3) != null, rs.getString(4)), id);
    }

    /** Marks the reservation released unless it already is; true if this call marked it. */
    boolean markReleased(Connection c, long id, Instant now) throws SQLException {
        return Jdbc.update(c, sql.markReleased, Jdbc.timestamp(now), id) == 1;
    }

    /** When the reservation was released; empty if it was not, or does not exist. */
    Optional<Instant> releasedAt(Connection c, long id) throws SQLException {
        return Jdbc.one(c, sql.releasedAt, rs -> Jdbc.instant(rs, 1), id);
    }

    private static Reservation reservation(ResultSet rs) throws SQLException {
        return new Reservation(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                Jdbc.instant(rs, 6));
    }
}
