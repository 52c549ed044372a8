package dev.capacity.jdbc.testing;

import org.jdbi.v3.core.Jdbi;

import java.sql.ResultSetMetaData;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every row of the capacity tables of one prefix, rendered as text and sorted, so that two
 * snapshots are equal exactly when the tables hold the same data.
 */
public final class TableSnapshot {

    private TableSnapshot() {}

    public static Map<String, List<String>> of(Jdbi jdbi, String prefix) {
        Map<String, List<String>> tables = new LinkedHashMap<>();
        for (String table : List.of("resource", "reservation", "slot", "holder")) {
            String name = prefix + table;
            List<String> rows = jdbi.withHandle(h -> h.createQuery("SELECT * FROM " + name).map((rs, ctx) -> {
                ResultSetMetaData meta = rs.getMetaData();
                StringBuilder row = new StringBuilder();
                for (int c = 1; c <= meta.getColumnCount(); c++) {
                    row.append(meta.getColumnLabel(c).toLowerCase()).append('=').append(rs.getString(c)).append(' ');
                }
                return row.toString();
            }).list());
            List<String> sorted = new ArrayList<>(rows);
            Collections.sort(sorted);
            tables.put(name, sorted);
        }
        return tables;
    }
}
