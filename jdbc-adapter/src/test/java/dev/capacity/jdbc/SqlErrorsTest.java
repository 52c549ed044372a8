package dev.capacity.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;

final class SqlErrorsTest {

    /**
     * A Galera node that lost the primary component refuses to replicate with error 1180 (seen in
     * GaleraRaceTest's failover race, 2026-12-01): the node is unavailable, so the call fails over
     * (before COMMIT) or looks its outcome up (at COMMIT), rather than failing as a bug.
     */
    @Test
    void galeraNodeCutOffFromThePrimaryComponent_isUnavailable() {
        SQLException cutOff = new SQLException("(conn=243) Error while appending streaming replication fragment"
                + "(provider status: Not connected to Primary Component)", "HY000", 1180);

        assertThat(SqlErrors.classify(cutOff)).isEqualTo(SqlErrors.Kind.UNAVAILABLE);
        assertThat(SqlErrors.commitMayHaveHappened(cutOff)).isTrue();
    }
}
