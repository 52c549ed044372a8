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
    @Override
    String idType() {
        return "VARCHAR(400)";
    }
}
