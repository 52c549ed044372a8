package dev.capacity.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/** The databases the adapter speaks to, detected from the connection. */
enum Dialect {
    H2,
    POSTGRESQL;

    static Dialect detect(Connection connection) throws SQLException {
        String product = connection.getMetaData().getDatabaseProductName();
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
