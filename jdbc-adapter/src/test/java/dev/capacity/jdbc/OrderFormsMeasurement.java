package dev.capacity.jdbc;

import dev.capacity.StrategyOptions;

import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * What an order of three lines costs on H2 in memory against one reservation, in the statement
 * forms an order could take: the library's tables (installed by {@link CapacitySchema}) and its
 * statements, sent by hand on one connection, one transaction per order. The forms:
 * {@code one} (a reservation: its row, then the guarded update of its counter), {@code lines} (an
 * order as the library sends it: a row per line, then a guarded update per resource),
 * {@code rows} (the three rows in one multi-row insert, then the three updates) and
 * {@code statements} (the three rows in one insert and the three counters in one guarded
 * update). If the forms with fewer statements cost about what {@code lines} costs, an order's
 * price on H2 is its rows, not its statements. Not a test: a measurement for docs/benchmarks.md,
 * run with
 * <pre>
 * mvn -q -pl jdbc-adapter -am test-compile exec:java -Dexec.skip=false -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.capacity.jdbc.OrderFormsMeasurement -Dexec.args="20000 17"
 * </pre>
 * (orders per form and round, rounds; the first two rounds are warm-up and not printed).
 */
public final class OrderFormsMeasurement {

    private static final List<String> RESOURCES = List.of("order-a", "order-b", "order-c");
    private static final List<String> FORMS = List.of("one", "lines", "rows", "statements");

    private OrderFormsMeasurement() {}

    public static void main(String[] args) throws SQLException {
        if (args.length != 2) {
            throw new IllegalArgumentException("arguments: orders per round, rounds (more than 2)");
        }
        int orders = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        String url = "jdbc:h2:mem:order-forms;DB_CLOSE_DELAY=-1";
        CapacitySchema.install(Jdbi.create(url, "sa", ""));
        Sql sql = new Sql(H2Dialect.INSTANCE, StrategyOptions.defaults());
        try (Connection c = DriverManager.getConnection(url, "sa", "")) {
            try (Statement s = c.createStatement()) {
                for (String id : RESOURCES) {
                    s.execute("INSERT INTO capacity_resource (id, family, capacity) VALUES ('" + id + "', 'counter', "
                            + Long.MAX_VALUE / 2 + ")");
                }
            }
            c.setAutoCommit(false);
            // the forms take turns, each round in another order, so that a database that drifts
            // during the run (H2 in memory was seen to swing 3x between rounds) does not favour one
            double[][] micros = new double[FORMS.size()][rounds - 2];
            for (int round = 0; round < rounds; round++) {
                for (int turn = 0; turn < FORMS.size(); turn++) {
                    int f = (turn + round) % FORMS.size();
                    long start = System.nanoTime();
                    for (int i = 0; i < orders; i++) {
                        place(c, sql, FORMS.get(f));
                    }
                    if (round >= 2) {
                        micros[f][round - 2] = (System.nanoTime() - start) / 1e3 / orders;
                    }
                    try (Statement s = c.createStatement()) {
                        s.execute("TRUNCATE TABLE capacity_reservation");
                        s.execute("UPDATE capacity_resource SET reserved = 0");
                    }
                    c.commit();
                }
            }
            System.out.println("| form | statements | µs per order, each round | median | against one |");
            System.out.println("|---|---:|---|---:|---:|");
            double oneMedian = median(micros[0]);
            for (int f = 0; f < FORMS.size(); f++) {
                StringBuilder each = new StringBuilder();
                for (double m : micros[f]) {
                    each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", m));
                }
                System.out.printf(Locale.ROOT, "| %s | %d | %s | %.1f | %.2f× |%n", FORMS.get(f), statements(FORMS.get(f)),
                        each, median(micros[f]), median(micros[f]) / oneMedian);
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static int statements(String form) {
        return switch (form) {
            case "one" -> 2;
            case "lines" -> 6;
            case "rows" -> 4;
            default -> 2;
        };
    }

    private static void place(Connection c, Sql sql, String form) throws SQLException {
        Object now = Jdbc.timestamp(Instant.now());
        List<String> resources = form.equals("one") ? RESOURCES.subList(0, 1) : RESOURCES;
        if (form.equals("one") || form.equals("lines")) {
            for (String id : resources) {
                insert(c, sql.insertReservationRow, now, List.of(id));
            }
        } else {
            insert(c, sql.insertReservationRow + ", (?, ?, ?, ?, ?, ?)".repeat(resources.size() - 1), now, resources);
        }
        if (form.equals("statements")) {
            takeAll(c, resources);
        } else {
            for (String id : resources) {
                try (PreparedStatement s = c.prepareStatement(sql.conditionalIncrement)) {
                    s.setLong(1, 1);
                    s.setString(2, id);
                    s.setLong(3, 1);
                    try (ResultSet rs = s.executeQuery()) {
                        require(rs.next(), "the guarded update refused");
                    }
                }
            }
        }
        c.commit();
    }

    /** The rows of {@code resources}, one unit each, in one statement; reads back their ids. */
    private static void insert(Connection c, String insert, Object now, List<String> resources) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(insert, Statement.RETURN_GENERATED_KEYS)) {
            for (int i = 0; i < resources.size(); i++) {
                int offset = i * ReservationRows.INSERT_PARAMETERS;
                s.setString(offset + 1, resources.get(i));
                s.setString(offset + 2, "holder");
                s.setInt(offset + 3, 1);
                s.setString(offset + 4, null);
                s.setObject(offset + 5, now);
                s.setObject(offset + 6, null);
            }
            s.executeUpdate();
            int ids = 0;
            try (ResultSet keys = s.getGeneratedKeys()) {
                while (keys.next()) {
                    ids++;
                }
            }
            require(ids == resources.size(), "the insert returned " + ids + " ids for " + resources.size() + " rows");
        }
    }

    /** One guarded update of every counter by one unit, as one statement; every counter must take it. */
    private static void takeAll(Connection c, List<String> resources) throws SQLException {
        String cases = "CASE id" + " WHEN ? THEN ?".repeat(resources.size()) + " END";
        String in = String.join(", ", java.util.Collections.nCopies(resources.size(), "?"));
        try (PreparedStatement s = c.prepareStatement("SELECT capacity - reserved, holder_limit FROM FINAL TABLE ("
                + "UPDATE capacity_resource SET reserved = reserved + " + cases + ", version = version + 1"
                + " WHERE id IN (" + in + ") AND reserved + " + cases + " <= capacity)")) {
            int p = 1;
            for (String id : resources) {
                s.setString(p++, id);
                s.setLong(p++, 1);
            }
            for (String id : resources) {
                s.setString(p++, id);
            }
            for (String id : resources) {
                s.setString(p++, id);
                s.setLong(p++, 1);
            }
            int rows = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows++;
                }
            }
            require(rows == resources.size(), "the guarded update took " + rows + " of " + resources.size() + " counters");
        }
    }

    private static void require(boolean condition, String failure) {
        if (!condition) {
            throw new IllegalStateException(failure);
        }
    }
}
