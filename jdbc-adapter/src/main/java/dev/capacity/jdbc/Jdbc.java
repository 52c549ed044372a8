package dev.capacity.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransactionRollbackException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Runs one prepared statement on a connection: the few shapes the adapter's row classes need.
 * Statements run as plain prepared statements, not through Jdbi's statement API: they are few and
 * fixed, and Jdbi's per-statement configuration and argument lookup cost more than the statements
 * themselves on an in-process database. Drivers cache the parsed statements per connection.
 */
final class Jdbc {

    private Jdbc() {}

    /** Sets the parameters of a statement. */
    @FunctionalInterface
    interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    /** Reads one row. */
    @FunctionalInterface
    interface Mapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    /** Binds {@code parameters} in order, each by its own type (a null as an untyped null). */
    static Binder parameters(Object... parameters) {
        return s -> {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
        };
    }

    static int update(Connection c, String statement, Object... parameters) throws SQLException {
        return update(c, statement, parameters(parameters));
    }

    static int update(Connection c, String statement, Binder binder) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            binder.bind(s);
            return s.executeUpdate();
        }
    }

    /**
     * Runs a write that must change exactly {@code expected} rows (a row this transaction holds, or
     * rows it has just read); any other count is a lost race (SQLSTATE 40001): the transaction
     * rolls back and runs again. MariaDB answers some statements that {@code KILL QUERY} (or a
     * statement time limit) interrupts with a count of 0 and no error; without this check the
     * rest of the transaction would commit without that write.
     */
    static void updateExactly(Connection c, long expected, String what, String statement, Object... parameters)
            throws SQLException {
        int changed = update(c, statement, parameters);
        if (changed != expected) {
            throw lostWrite(what, expected, changed);
        }
    }

    /** A write that changed another number of rows than it must have: a lost race, to run again. */
    static SQLException lostWrite(String what, long expected, long changed) {
        return lostRace(what + " changed " + changed + " rows, not " + expected);
    }

    /** A lost race found by the library rather than the database (SQLSTATE 40001): the transaction runs again. */
    static SQLException lostRace(String what) {
        return new LostRace(what);
    }

    /**
     * A race the library found lost (a row changed between two of its statements), not the
     * database's contention (a deadlock, a lock timeout): nothing of the attempt is kept, and it
     * may run again even inside a caller's transaction, as a lost version check does (see
     * {@link Transactions}), where the database's own contention is not retried.
     */
    static final class LostRace extends SQLTransactionRollbackException {
        private static final long serialVersionUID = 1L;

        private final String race;

        LostRace(String race) {
            super(race + "; running the transaction again", "40001");
            this.race = race;
        }

        /** What was lost, without what is done about it. */
        String race() {
            return race;
        }
    }

    /** The first row, mapped; empty if there is none (or the mapper returns null). */
    static <T> Optional<T> one(Connection c, String statement, Mapper<T> mapper, Object... parameters) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            parameters(parameters).bind(s);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.ofNullable(mapper.map(rs)) : Optional.empty();
            }
        }
    }

    /** The first column of the first row. */
    static OptionalLong oneLong(Connection c, String statement, Object... parameters) throws SQLException {
        return oneLong(c, statement, parameters(parameters));
    }

    /** The first column of the first row. */
    static OptionalLong oneLong(Connection c, String statement, Binder binder) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            binder.bind(s);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
            }
        }
    }

    /** Every row, mapped, in the order the database returns them. */
    static <T> List<T> list(Connection c, String statement, Mapper<T> mapper, Object... parameters) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            parameters(parameters).bind(s);
            try (ResultSet rs = s.executeQuery()) {
                List<T> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(mapper.map(rs));
                }
                return rows;
            }
        }
    }

    /** The first column of every row. */
    static List<Long> longs(Connection c, String statement, Object... parameters) throws SQLException {
        return list(c, statement, rs -> rs.getLong(1), parameters);
    }

    /**
     * The first result set of a statement that may return update counts before it (a
     * {@code SET ...; SELECT ...} sent as one), mapped from its first row.
     */
    static <T> Optional<T> lastQuery(Connection c, String statement, Mapper<T> mapper, Object... parameters)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            parameters(parameters).bind(s);
            boolean resultSet = s.execute();
            while (!resultSet) {
                if (s.getUpdateCount() == -1) {
                    throw new SQLException("the statement returned no rows and no count: " + statement);
                }
                resultSet = s.getMoreResults();
            }
            try (ResultSet rs = s.getResultSet()) {
                return rs.next() ? Optional.ofNullable(mapper.map(rs)) : Optional.empty();
            }
        }
    }

    /** The instant at UTC; built without {@code ZoneOffset.getRules()}, which allocates on every call. */
    static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.of(LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC),
                ZoneOffset.UTC);
    }

    static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
