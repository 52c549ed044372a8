package dev.capacity.jdbc.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.jdbc.testing.FaultyDataSource.CommitFault;
import dev.capacity.testing.ResourceIds;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.sql.DataSource;

/** The random COMMIT faults that the fault suite relies on, on H2 in memory. */
@ExtendWith(LedgersAddUp.class)
final class FaultyDataSourceTest {

    private static final DataSource H2 = TestDatabase.H2_MEM.pool().dataSource();
    private static final String COMMITTED = "committed";
    private static final String FAILED_AFTER = "08006, written";
    private static final String FAILED_INSTEAD = "08006, not written";

    @Test
    void failCommitsAtRandom_probabilityOne_failsEveryCommitAfterOrInsteadOfCommitting() throws SQLException {
        String table = newTable();
        FaultyDataSource faulty = new FaultyDataSource(H2);
        faulty.failCommitsAtRandom(1, 7, () -> true);

        List<String> outcomes = new ArrayList<>();
        for (int id = 0; id < 20; id++) {
            outcomes.add(insert(faulty, table, id));
        }

        assertThat(outcomes).containsOnly(FAILED_AFTER, FAILED_INSTEAD);
        assertThat(faulty.failedCommits()).isEqualTo(20);
        assertThat(faulty.failedCommits(CommitFault.AFTER_COMMIT))
                .isEqualTo(outcomes.stream().filter(FAILED_AFTER::equals).count()).isPositive();
        assertThat(faulty.failedCommits(CommitFault.INSTEAD_OF_COMMIT))
                .isEqualTo(outcomes.stream().filter(FAILED_INSTEAD::equals).count()).isPositive();
    }

    @Test
    void failCommitsAtRandom_whileInactiveOrHealed_commits() throws SQLException {
        String table = newTable();
        FaultyDataSource faulty = new FaultyDataSource(H2);
        AtomicBoolean active = new AtomicBoolean();
        faulty.failCommitsAtRandom(1, 7, active::get);

        assertThat(insert(faulty, table, 1)).isEqualTo(COMMITTED);
        active.set(true);
        assertThat(insert(faulty, table, 2)).isIn(FAILED_AFTER, FAILED_INSTEAD);
        faulty.heal();
        assertThat(insert(faulty, table, 3)).isEqualTo(COMMITTED);
        assertThat(faulty.failedCommits()).isEqualTo(1);
    }

    @Test
    void failCommitsAtRandom_sameSeed_failsTheSameCommitsTheSameWay() throws SQLException {
        String table = newTable();
        List<List<String>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            FaultyDataSource faulty = new FaultyDataSource(H2);
            faulty.failCommitsAtRandom(0.5, 42, () -> true);
            List<String> outcomes = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                outcomes.add(insert(faulty, table, 100 * run + i));
            }
            runs.add(outcomes);
        }

        assertThat(runs.get(1)).isEqualTo(runs.get(0));
        assertThat(runs.get(0)).contains(COMMITTED, FAILED_AFTER, FAILED_INSTEAD);
    }

    @Test
    void failCommitsAtRandom_probabilityAboveOne_isRefused() {
        FaultyDataSource faulty = new FaultyDataSource(H2);

        assertThatThrownBy(() -> faulty.failCommitsAtRandom(1.5, 7, () -> true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1.5");
    }

    private static String newTable() throws SQLException {
        String table = ResourceIds.newId("faulty").replaceAll("[^A-Za-z0-9]", "_");
        try (Connection c = H2.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY)");
        }
        return table;
    }

    /** Inserts {@code id} in a transaction and says what became of it. */
    private static String insert(DataSource source, String table, int id) throws SQLException {
        String commit;
        try (Connection c = source.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO " + table + " VALUES (" + id + ")");
            }
            try {
                c.commit();
                commit = "committed";
            } catch (SQLException e) {
                commit = e.getSQLState();
            } finally {
                c.setAutoCommit(true);
            }
        }
        if (commit.equals("committed")) {
            return COMMITTED;
        }
        return commit + (written(table, id) ? ", written" : ", not written");
    }

    private static boolean written(String table, int id) throws SQLException {
        try (Connection c = H2.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table + " WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1) == 1;
        }
    }
}
