package dev.capacity.jdbc.testing;

import org.jdbi.v3.core.Jdbi;

/**
 * The rows of one resource, read in one transaction: what its counter (or its slots) says is
 * reserved, and what its reservation rows add up to. The ledger adds up when {@code reserved}
 * equals {@code unreleasedQuantity}.
 *
 * @param family {@code counter}, {@code slots}, or null if the resource does not exist
 * @param capacity the capacity in force
 * @param reserved the counter for the counter family, the number of slot rows for unique-slots
 * @param unreleasedQuantity the sum of the quantities of the unreleased reservation rows
 * @param reservationRows all reservation rows of the resource, released or not
 * @param releasedRows the released ones
 * @param slotRows the slot rows of the resource
 */
public record Ledger(String family, long capacity, long reserved, long unreleasedQuantity, long reservationRows,
                     long releasedRows, long slotRows) {

    public static Ledger read(Jdbi jdbi, String prefix, String resourceId) {
        return jdbi.inTransaction(handle -> handle.createQuery(
                        "SELECT r.family, r.capacity, r.reserved,"
                                + " (SELECT COALESCE(SUM(quantity), 0) FROM " + prefix + "reservation v"
                                + "   WHERE v.resource_id = :id AND v.released_at IS NULL) AS unreleased,"
                                + " (SELECT COUNT(*) FROM " + prefix + "reservation v WHERE v.resource_id = :id) AS rows_all,"
                                + " (SELECT COUNT(*) FROM " + prefix + "reservation v"
                                + "   WHERE v.resource_id = :id AND v.released_at IS NOT NULL) AS rows_released,"
                                + " (SELECT COUNT(*) FROM " + prefix + "slot s WHERE s.resource_id = :id) AS slots"
                                + " FROM (SELECT CAST(:id AS VARCHAR(200)) AS id) k LEFT JOIN " + prefix + "resource r ON r.id = k.id")
                .bind("id", resourceId)
                .map((rs, ctx) -> {
                    String family = rs.getString("family");
                    long slots = rs.getLong("slots");
                    long reserved = "slots".equals(family) ? slots : rs.getLong("reserved");
                    return new Ledger(family, rs.getLong("capacity"), reserved, rs.getLong("unreleased"),
                            rs.getLong("rows_all"), rs.getLong("rows_released"), slots);
                })
                .one());
    }

    /** Whether the counter (or slot count) equals the sum of the unreleased reservations. */
    public boolean addsUp() {
        return reserved == unreleasedQuantity;
    }

    /** Units sold beyond the capacity; 0 when the invariant holds (a shrink below reserved aside). */
    public long oversold() {
        return Math.max(0, unreleasedQuantity - capacity);
    }
}
