package dev.capacity.jdbc;

import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;

import org.jdbi.v3.core.Jdbi;

/**
 * The tables the strategies use, for H2, PostgreSQL, MariaDB and MySQL (detected from the connection):
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
            transactions(jdbi, options).inOwnTransaction(null, Transactions.writing("installing the capacity schema",
                    (store, c) -> {
                        store.sql.dialect.install(c, store.sql);
                        return null;
                    }));
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
        return transactions(jdbi, options).onConnection("reading the database product",
                (store, c) -> String.join(";\n\n", store.sql.ddl()) + ";\n");
    }

    private static Transactions transactions(Jdbi jdbi, StrategyOptions options) {
        return new Transactions(ConnectionSource.of(jdbi), options, "capacity-schema");
    }
}
