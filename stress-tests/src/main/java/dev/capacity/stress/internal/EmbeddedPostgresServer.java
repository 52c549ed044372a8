package dev.capacity.stress.internal;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real PostgreSQL server started from the binaries on Maven Central (no installation), for the
 * race harness, the benchmarks, the fault suite and the {@code race} program. Not a mock: a
 * PostgreSQL 17 server process on a local port. It can be stopped and started again on the same
 * port and data directory, as an operator restarts a server under a running application.
 *
 * <p>This class is threadsafe.
 */
public final class EmbeddedPostgresServer implements EmbeddedServer {

    private final Durability durability;
    private final Path dataDirectory;
    private final int port;
    private final Map<String, String> settings;
    private EmbeddedPostgres server;

    private EmbeddedPostgresServer(Durability durability, Path dataDirectory, int port, Map<String, String> settings) {
        this.durability = durability;
        this.dataDirectory = dataDirectory;
        this.port = port;
        this.settings = Map.copyOf(settings);
    }

    public static EmbeddedPostgresServer start(Durability durability) {
        return start(durability, Map.of());
    }

    /** A server with these settings of {@code postgresql.conf} too (as {@code shared_preload_libraries}). */
    public static EmbeddedPostgresServer start(Durability durability, Map<String, String> settings) {
        try {
            EmbeddedPostgresServer server = new EmbeddedPostgresServer(durability,
                    Files.createTempDirectory("capacity-postgres-"), LocalPorts.free(), settings);
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the embedded PostgreSQL server", e);
        }
    }

    /** Starts the server again after {@link #stop()}, on the same port, with the same data. */
    public synchronized void start() {
        if (server != null) {
            throw new IllegalStateException("the server is running");
        }
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setServerConfig("max_connections", "300")
                .setDataDirectory(dataDirectory).setCleanDataDirectory(false).setPort(port);
        if (durability == Durability.DURABLE) {
            builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on");
        }
        settings.forEach(builder::setServerConfig);
        try {
            server = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL server", e);
        }
    }

    /** Stops the server (a fast shutdown: open sessions are ended, their transactions rolled back). */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop the embedded PostgreSQL server", e);
        } finally {
            server = null;
        }
    }

    public Database database() {
        return new Database("postgres", "jdbc:postgresql://localhost:" + port + "/postgres", "postgres", "postgres");
    }

    public Durability durability() {
        return durability;
    }

    /** Stops the server and removes its data. */
    @Override
    public void close() {
        stop();
        try (var files = Files.walk(dataDirectory)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove " + dataDirectory, e);
        }
    }
}
