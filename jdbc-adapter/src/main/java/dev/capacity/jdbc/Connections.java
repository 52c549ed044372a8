package dev.capacity.jdbc;

import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Where a strategy's own connections come from: the {@link ConnectionFactory} the application
 * built its {@link Jdbi} with (its pool), used the way Jdbi uses it.
 *
 * <p>Jdbi has no public getter for its connection factory, and {@link Jdbi#open()} builds a whole
 * {@link Handle} around each connection (a copy of the configuration, a transaction handler,
 * listeners), which the adapter does not use: it cost 4.6 us of 34 us per reservation on an
 * in-memory H2 database. So the factory is read once from Jdbi's private field; if it cannot be
 * (another Jdbi version, a module that does not open it), every connection comes from
 * {@link Jdbi#open()} instead, with the same behaviour and that cost.
 *
 * <p>This class is immutable and threadsafe.
 */
final class Connections {

    private static final Logger LOG = LoggerFactory.getLogger(Connections.class);

    private final Jdbi jdbi;
    private final ConnectionFactory factory;

    Connections(Jdbi jdbi) {
        this.jdbi = jdbi;
        this.factory = factoryOf(jdbi);
    }

    private static ConnectionFactory factoryOf(Jdbi jdbi) {
        try {
            Field field = Jdbi.class.getDeclaredField("connectionFactory");
            field.setAccessible(true);
            return (ConnectionFactory) field.get(jdbi);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("Jdbi's connection factory cannot be read ({}); connections come from Jdbi.open()", e.toString());
            return null;
        }
    }

    /** A connection of the strategy's own, until {@link Lease#close()} gives it back. */
    Lease open() throws SQLException {
        if (factory != null) {
            return new Lease(factory.openConnection(), null, factory);
        }
        Handle handle = jdbi.open();
        return new Lease(handle.getConnection(), handle, null);
    }

    /** A borrowed connection. Not threadsafe: used by the thread that opened it. */
    static final class Lease implements AutoCloseable {
        final Connection connection;
        private final Handle handle;
        private final ConnectionFactory factory;

        private Lease(Connection connection, Handle handle, ConnectionFactory factory) {
            this.connection = connection;
            this.handle = handle;
            this.factory = factory;
        }

        /** Gives the connection back; a failure to do so is logged, since the work is done. */
        @Override
        public void close() {
            try {
                if (handle != null) {
                    handle.close();
                } else {
                    factory.getCleanableFor(connection).close();
                }
            } catch (SQLException | RuntimeException e) {
                LOG.debug("giving a connection back failed", e);
            }
        }
    }
}
