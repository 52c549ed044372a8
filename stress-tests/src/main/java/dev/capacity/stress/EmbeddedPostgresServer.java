package dev.capacity.stress;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A real PostgreSQL server started from the binaries on Maven Central (no installation), for the
 * race harness, the benchmarks and the {@code race} program. Not a mock: a PostgreSQL 17 server
 * process on a local port, removed when closed.
 *
 * <p>This class is threadsafe.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    /** How much the server may lose in a crash, and what that costs. */
    public enum Durability {
        /** {@code fsync} and {@code synchronous_commit} off (the embedded default): fast, loses data on a crash. */
        FAST,
        /** {@code fsync} and {@code synchronous_commit} on, as a production server runs. */
        DURABLE
    }

    private final EmbeddedPostgres server;
    private final Durability durability;

    private EmbeddedPostgresServer(EmbeddedPostgres server, Durability durability) {
        this.server = server;
        this.durability = durability;
    }

    public static EmbeddedPostgresServer start(Durability durability) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setServerConfig("max_connections", "300");
        if (durability == Durability.DURABLE) {
            builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on");
        }
        try {
            return new EmbeddedPostgresServer(builder.start(), durability);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL server", e);
        }
    }

    public Database database() {
        return new Database("postgres", server.getJdbcUrl("postgres", "postgres"), "postgres", "postgres");
    }

    public Durability durability() {
        return durability;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop the embedded PostgreSQL server", e);
        }
    }
}
