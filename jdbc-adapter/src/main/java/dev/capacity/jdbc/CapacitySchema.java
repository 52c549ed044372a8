package dev.capacity.jdbc;

import dev.capacity.CapacityException;
import dev.capacity.StoreUnavailableException;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;
import dev.capacity.internal.RetryBudget;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;

/**
 * The tables the strategies use, for H2 and PostgreSQL (detected from the connection):
 * <ul>
 *   <li>{@code <prefix>resource}: id, family ({@code counter} or {@code slots}), capacity, the
 *       reserved counter and its version;</li>
 *   <li>{@code <prefix>reservation}: id, resource, holder, quantity, a unique idempotency key,
 *       created and released times;</li>
 *   <li>{@code <prefix>slot}: one row per unit held under the unique key (resource, slot), for
 *       the unique-slots family.</li>
 * </ul>
 * The prefix is {@link StrategyOptions#tablePrefix()}, {@code capacity_} by default.
 *
 * <p>There is deliberately no foreign key from reservations to resources: checking it would take
 * a share lock on the hot resource row on every reservation.
 *
 * <p>This class is threadsafe; {@link #install} may run from many processes at once.
 */
public final class CapacitySchema {

    private static final Object INSTALLING = new Object();
    private static final int DDL_ATTEMPTS = 10;

    private CapacitySchema() {}

    /** Creates the tables with the default prefix, if absent. */
    public static void install(Jdbi jdbi) {
        install(jdbi, StrategyOptions.defaults());
    }

    /** Creates the tables with {@code options.tablePrefix()}, if absent. Idempotent. */
    public static void install(Jdbi jdbi, StrategyOptions options) {
        Arguments.requireNonNull(jdbi, "jdbi");
        Arguments.requireNonNull(options, "options");
        synchronized (INSTALLING) {
            run("installing the capacity schema", jdbi, c -> {
                Sql sql = new Sql(Dialect.detect(c), options);
                if (sql.dialect == Dialect.POSTGRESQL) {
                    boolean autoCommit = c.getAutoCommit();
                    c.setAutoCommit(false);
                    try (Statement s = c.createStatement()) {
                        // concurrent CREATE ... IF NOT EXISTS can collide in the catalog: one installer at a time
                        s.execute("SELECT pg_advisory_xact_lock(" + ("capacity schema " + sql.resourceTable).hashCode() + ")");
                        for (String statement : sql.ddl()) {
                            s.execute(statement);
                        }
                        c.commit();
                    } catch (SQLException e) {
                        c.rollback();
                        throw e;
                    } finally {
                        c.setAutoCommit(autoCommit);
                    }
                } else {
                    // H2 has no advisory lock; an installer in another process may create an object
                    // between our existence check and our CREATE, so a failed statement is tried again
                    for (String statement : sql.ddl()) {
                        executeIdempotent(c, statement);
                    }
                }
                return null;
            });
        }
    }

    private static void executeIdempotent(Connection c, String statement) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try (Statement s = c.createStatement()) {
                s.execute(statement);
                return;
            } catch (SQLException e) {
                if (attempt == DDL_ATTEMPTS || SqlErrors.classify(e) == SqlErrors.Kind.UNAVAILABLE) {
                    throw e;
                }
                RetryBudget.sleep(TimeUnit.MILLISECONDS.toNanos(attempt));
            }
        }
    }

    /** The DDL {@link #install(Jdbi)} runs, for Flyway or Liquibase users. */
    public static String ddl(Jdbi jdbi) {
        return ddl(jdbi, StrategyOptions.defaults());
    }

    /** The DDL {@link #install(Jdbi, StrategyOptions)} runs, as statements ending with {@code ;}. */
    public static String ddl(Jdbi jdbi, StrategyOptions options) {
        Arguments.requireNonNull(jdbi, "jdbi");
        Arguments.requireNonNull(options, "options");
        return run("reading the database product", jdbi,
                c -> String.join(";\n\n", new Sql(Dialect.detect(c), options).ddl()) + ";\n");
    }

    /** Work on a connection. */
    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private static <T> T run(String what, Jdbi jdbi, Work<T> work) {
        try (Handle handle = jdbi.open()) {
            return work.run(handle.getConnection());
        } catch (SQLException | RuntimeException e) {
            if (SqlErrors.classify(e) == SqlErrors.Kind.UNAVAILABLE) {
                throw new StoreUnavailableException("cannot reach the database while " + what, e);
            }
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new CapacityException("unexpected database error while " + what + " (" + SqlErrors.describe(e) + ")", e);
        }
    }
}
