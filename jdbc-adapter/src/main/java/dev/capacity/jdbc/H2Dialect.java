package dev.capacity.jdbc;

import java.math.BigDecimal;

/**
 * H2: rows come back from a change through {@code FINAL TABLE} and {@code OLD TABLE}, a lock wait
 * is bounded in the locking statement ({@code FOR UPDATE WAIT}), a unique violation leaves the
 * transaction usable, and there is no shared row lock.
 */
final class H2Dialect extends Dialect {

    static final H2Dialect INSTANCE = new H2Dialect();

    private H2Dialect() {}

    @Override
    String updateReturning(String update, String columns) {
        return "SELECT " + columns + " FROM FINAL TABLE (" + update + ")";
    }

    @Override
    String deleteReturning(String delete, String columns) {
        return "SELECT " + columns + " FROM OLD TABLE (" + delete + ")";
    }

    @Override
    String lockForUpdate(String select, long timeoutMillis) {
        return select + " FOR UPDATE WAIT " + BigDecimal.valueOf(timeoutMillis, 3).toPlainString();
    }

    /** H2 counts UTF-16 chars, two for a code point outside the BMP (an emoji): 200 code points take up to 400. */
    /** H2 finds {@code holder_id = ANY(?)} by the key's first column only; a join on the array uses all of it. */
    @Override
    String holdersAmong(String holderTable) {
        return "SELECT h.holder_id, h.units FROM UNNEST(CAST(? AS VARCHAR ARRAY)) AS a(holder_id)"
                + " JOIN " + holderTable + " h ON h.resource_id = ? AND h.holder_id = a.holder_id";
    }

    @Override
    String holdersAddAll(String holderTable) {
        return "MERGE INTO " + holderTable + " h USING (SELECT CAST(? AS VARCHAR) AS resource_id, a.holder_id, a.units"
                + " FROM UNNEST(CAST(? AS VARCHAR ARRAY), CAST(? AS BIGINT ARRAY)) AS a(holder_id, units)) AS d"
                + " ON h.resource_id = d.resource_id AND h.holder_id = d.holder_id"
                + " WHEN MATCHED AND h.units <= CAST(? AS BIGINT) - d.units THEN UPDATE SET units = h.units + d.units"
                + " WHEN NOT MATCHED AND d.units <= CAST(? AS BIGINT) THEN INSERT (resource_id, holder_id, units)"
                + " VALUES (d.resource_id, d.holder_id, d.units)";
    }

    @Override
    String idType() {
        return "VARCHAR(400)";
    }

    @Override
    String product() {
        return "H2";
    }
}
