package dev.capacity.jdbc;

import org.jdbi.v3.core.Handle;

import java.sql.SQLException;
import java.util.Locale;

/** The databases the adapter speaks to, detected from the connection. */
enum Dialect {
    H2,
    POSTGRESQL;

    static Dialect detect(Handle handle) {
        String product;
        try {
            product = handle.getConnection().getMetaData().getDatabaseProductName();
        } catch (SQLException e) {
            throw new org.jdbi.v3.core.ConnectionException(e);
        }
        String normalized = product == null ? "" : product.toLowerCase(Locale.ROOT);
        if (normalized.contains("postgresql")) {
            return POSTGRESQL;
        }
        if (normalized.equals("h2")) {
            return H2;
        }
        throw new UnsupportedOperationException("capacity supports H2 and PostgreSQL, not " + product);
    }
}
