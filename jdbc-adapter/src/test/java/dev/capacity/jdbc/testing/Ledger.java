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
 * @param holdersOff on a resource with a per-holder limit, the holders whose recorded units are not
 *     the sum of their unreleased reservations (or who have unreleased reservations and no record)
 */
public record Ledger(String family, long capacity, long reserved, long unreleasedQuantity, long reservationRows,
                     long releasedRows, long slotRows, long holdersOff) {

    public static Ledger read(Jdbi jdbi, String prefix, String resourceId) {
        return jdbi.inTransaction(handle -> handle.createQuery(
                        "SELECT r.family, r.capacity, r.reserved,"
                                + " (SELECT COALESCE(SUM(quantity), 0) FROM " + prefix + "reservation v"
                                + "   WHERE v.resource_id = :id AND v.released_at IS NULL) AS unreleased,"
                                + " (SELECT COUNT(*) FROM " + prefix + "reservation v WHERE v.resource_id = :id) AS rows_all,"
                                + " (SELECT COUNT(*) FROM " + prefix + "reservation v"
                                + "   WHERE v.resource_id = :id AND v.released_at IS NOT NULL) AS rows_released,"
                                + " (SELECT COUNT(*) FROM " + prefix + "slot s WHERE s.resource_id = :id) AS slots,"
                                + " CASE WHEN r.holder_limit IS NULL THEN 0 ELSE"
                                + "  (SELECT COUNT(*) FROM " + prefix + "holder h WHERE h.resource_id = :id AND h.units <>"
                                + "    (SELECT COALESCE(SUM(quantity), 0) FROM " + prefix + "reservation v"
                                + "     WHERE v.resource_id = :id AND v.holder_id = h.holder_id AND v.released_at IS NULL))"
                                + "  + (SELECT COUNT(DISTINCT v.holder_id) FROM " + prefix + "reservation v"
                                + "     WHERE v.resource_id = :id AND v.released_at IS NULL AND NOT EXISTS"
                                + "     (SELECT 1 FROM " + prefix + "holder h WHERE h.resource_id = :id AND h.holder_id = v.holder_id))"
                                + " END AS holders_off"
                                + " FROM (SELECT CAST(:id AS VARCHAR(200)) AS id) k LEFT JOIN " + prefix + "resource r ON r.id = k.id")
                .bind("id", resourceId)
                .map((rs, ctx) -> {
                    String family = rs.getString("family");
                    long slots = rs.getLong("slots");
                    long reserved = "slots".equals(family) ? slots : rs.getLong("reserved");
                    return new Ledger(family, rs.getLong("capacity"), reserved, rs.getLong("unreleased"),
                            rs.getLong("rows_all"), rs.getLong("rows_released"), slots,
                            rs.getLong("holders_off"));
                })
                .one());
    }

    /**
     * Whether the counter (or slot count) equals the sum of the unreleased reservations, and on a
     * resource with a per-holder limit every holder's recorded units the sum of theirs.
     */
    public boolean addsUp() {
        return reserved == unreleasedQuantity && holdersOff == 0;
    }

    /** Units sold beyond the capacity; 0 when the invariant holds (a shrink below reserved aside). */
    public long oversold() {
        return Math.max(0, unreleasedQuantity - capacity);
    }
}
