package dev.capacity.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The audit's reads: each resource's ledger in one statement, which sees one committed moment of
 * all three tables.
 *
 * <p>This class is immutable and threadsafe.
 */
final class LedgerRows {

    /**
     * One resource's ledger: the counter, the sum of the unreleased reservations, and for the
     * slots family the slot rows, those held by unreleased reservations of the resource, and how
     * many unreleased reservations hold other than their quantity; and the units of holds expired
     * at the time of reading that nothing has ended yet (counted in both sides: free for the
     * capacity, still part of the ledger until they are reclaimed); and on a resource with a
     * per-holder limit, how many holders' recorded units disagree with their live reservations.
     */
    record Ledger(String id, String family, long capacity, long reserved, long unreleased, long occupied,
                  long held, long misheld, long expired, long holdersOff) {}

    /** An unreleased reservation that holds {@code held} slots instead of {@code quantity}. */
    record Misheld(long reservationId, int quantity, long held) {}

    private final Sql sql;

    LedgerRows(Sql sql) {
        this.sql = sql;
    }

    /** Every resource's ledger, read in one statement, in id order. */
    List<Ledger> all(Connection c, Instant now) throws SQLException {
        return Jdbc.list(c, sql.ledgers, LedgerRows::ledger, sql.dialect.timestamp(now));
    }

    Optional<Ledger> of(Connection c, String id, Instant now) throws SQLException {
        return Jdbc.one(c, sql.ledgerOf, LedgerRows::ledger, sql.dialect.timestamp(now), id);
    }

    List<Misheld> misheld(Connection c, String id) throws SQLException {
        return Jdbc.list(c, sql.misheldReservations, rs -> new Misheld(rs.getLong(1), rs.getInt(2), rs.getLong(3)), id);
    }

    private static Ledger ledger(ResultSet rs) throws SQLException {
        return new Ledger(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10));
    }
}
