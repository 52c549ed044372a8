package dev.capacity.stress.faults;

import dev.capacity.stress.internal.Database;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** What a server's own views say, as text, for a failure message: each query and its rows. */
final class ServerState {

    private ServerState() {}

    /** Runs each of {@code queries} on a connection of its own to {@code db}; a query that fails says why. */
    static String read(Database db, List<String> queries) {
        StringBuilder out = new StringBuilder();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             Statement s = c.createStatement()) {
            for (String query : queries) {
                out.append(query).append('\n');
                try (ResultSet rs = s.executeQuery(query)) {
                    int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= columns; i++) {
                            out.append(i == 1 ? "  " : " | ").append(rs.getMetaData().getColumnLabel(i)).append('=')
                                    .append(rs.getString(i));
                        }
                        out.append('\n');
                    }
                } catch (SQLException e) {
                    out.append("  (").append(e.getMessage()).append(")\n");
                }
            }
        } catch (SQLException e) {
            out.append("(could not connect to read them: ").append(e).append(')');
        }
        return out.toString();
    }
}
