package dev.capacity.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.ReservationRequest;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.TestDatabase;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The matching of a multi-row insert's returned rows to the requests of a batch, which promises no
 * order: rows in the requests' order, in another order, and rows that do not fit. The rows come
 * from a real H2 query ({@code VALUES}) in the order each test lists them.
 */
@ExtendWith(LedgersAddUp.class)
final class IdsByContentTest {

    private static final Instant AT = Instant.parse("2026-11-30T12:00:00Z");
    private static final List<ReservationRequest> REQUESTS = List.of(
            ReservationRequest.of("run", "ada"),
            ReservationRequest.of("run", "bob").withQuantity(2),
            ReservationRequest.of("run", "ada"),
            ReservationRequest.of("run", "cy").withIdempotencyKey("k1"),
            ReservationRequest.of("run", "ada").withHold(Duration.ofMinutes(1)));
    private static final List<Instant> EXPIRIES = Arrays.asList(null, null, null, null, AT.plusSeconds(60));

    /** Row {@code i} as the insert would return it for request {@code i}, with id {@code 100 + i}. */
    private static String row(int i) {
        ReservationRequest r = REQUESTS.get(i);
        Instant expiry = EXPIRIES.get(i);
        return "(CAST(" + (100 + i) + " AS BIGINT), '" + r.holderId() + "', " + r.quantity() + ", "
                + (r.idempotencyKey() == null ? "CAST(NULL AS VARCHAR)" : "'" + r.idempotencyKey() + "'") + ", "
                + (expiry == null ? "CAST(NULL AS TIMESTAMP WITH TIME ZONE)"
                : "CAST(TIMESTAMP WITH TIME ZONE '" + expiry.toString().replace('T', ' ').replace("Z", "+00") + "' AS TIMESTAMP WITH TIME ZONE)")
                + ")";
    }

    /** The ids matched to the requests when the rows come back as {@code rows} lists them. */
    private static long[] match(String... rows) throws SQLException {
        try (Connection c = TestDatabase.H2_MEM.pool().dataSource().getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM (VALUES " + String.join(", ", rows) + ")")) {
            return H2Dialect.INSTANCE.idsByContent(rs, REQUESTS, EXPIRIES);
        }
    }

    private static String[] rows(int... order) {
        List<String> rows = new ArrayList<>();
        for (int i : order) {
            rows.add(row(i));
        }
        return rows.toArray(new String[0]);
    }

    @Test
    void rowsInTheRequestsOrder_matchOneToOne() throws SQLException {
        assertThat(match(rows(0, 1, 2, 3, 4))).containsExactly(100, 101, 102, 103, 104);
    }

    @Test
    void rowsInAnotherOrder_matchByWhatTheyHold() throws SQLException {
        long[] ids = match(rows(4, 3, 2, 1, 0));
        assertThat(ids[1]).isEqualTo(101);
        assertThat(ids[3]).isEqualTo(103);
        assertThat(ids[4]).isEqualTo(104);
        // requests 0 and 2 hold the same and are interchangeable
        assertThat(new long[] {ids[0], ids[2]}).containsExactlyInAnyOrder(100, 102);
    }

    @Test
    void rowsInOrderThenOutOfOrder_matchByWhatTheyHold() throws SQLException {
        long[] ids = match(rows(0, 1, 3, 4, 2));
        assertThat(ids).containsExactly(100, 101, 102, 103, 104);
    }

    @Test
    void aRowMissing_fails() {
        assertThatThrownBy(() -> match(rows(0, 1, 2, 3))).isInstanceOf(SQLException.class)
                .hasMessageContaining("returned 4 ids for 5 new rows");
    }

    @Test
    void aRowTwice_fails() {
        assertThatThrownBy(() -> match(rows(0, 1, 2, 3, 4, 1))).isInstanceOf(SQLException.class)
                .hasMessageContaining("no request of the batch asked for");
    }

    @Test
    void aRowNoRequestAskedFor_fails() {
        String stranger = "(CAST(999 AS BIGINT), 'eve', 1, CAST(NULL AS VARCHAR), CAST(NULL AS TIMESTAMP WITH TIME ZONE))";
        assertThatThrownBy(() -> match(row(0), stranger, row(1), row(2), row(3))).isInstanceOf(SQLException.class)
                .hasMessageContaining("no request of the batch asked for");
    }
}
