package dev.capacity.jdbc;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

/**
 * Where a strategy's own connections come from: the application's {@link DataSource} (its pool),
 * or its {@link Jdbi}, through {@link Jdbi#open()}. A {@code Handle} costs a few microseconds
 * more per transaction than a bare connection (a copy of Jdbi's configuration, a transaction
 * handler, listeners; measured in docs/benchmarks.md), which is why a strategy can be built from
 * the {@code DataSource} too.
 *
 * <p>Implementations are immutable and threadsafe.
 */
@FunctionalInterface
interface ConnectionSource {

    /** A connection of the caller's own, until {@link Lease#close()} gives it back. */
    Lease open() throws SQLException;

    static ConnectionSource of(Jdbi jdbi) {
        return () -> {
            Handle handle = jdbi.open();
            return new Lease(handle.getConnection(), handle);
        };
    }

    static ConnectionSource of(DataSource dataSource) {
        return () -> {
            Connection connection = dataSource.getConnection();
            return new Lease(connection, connection);
        };
    }

    /** A borrowed connection, and what gives it back. Not threadsafe: used by the thread that opened it. */
    record Lease(Connection connection, AutoCloseable giveBack) implements AutoCloseable {

        /** Gives the connection back; a failure to do so is logged, since the work is done. */
        @Override
        public void close() {
            try {
                giveBack.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(ConnectionSource.class).debug("giving a connection back failed", e);
            }
        }
    }
}
