package dev.capacity.stress.internal;

/**
 * A database server started from embedded binaries for a test run or a race: PostgreSQL
 * ({@link EmbeddedPostgresServer}) or MariaDB ({@link EmbeddedMariaDbServer}). It can be stopped and
 * started again on the same port and data, as the fault suite's restarts do.
 */
public interface EmbeddedServer extends AutoCloseable {

    /** The server's database for the races, as its administrator. */
    Database database();

    /** How the server writes its log: durable, as production servers, or fast. */
    Durability durability();

    /** Stops the server: open sessions are ended, their transactions rolled back. */
    void stop();

    /** Starts the server again after {@link #stop()}, on the same port, with the same data. */
    void start();

    /** Stops the server and deletes its files. */
    @Override
    void close();
}
