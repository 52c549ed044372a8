package dev.capacity.jdbc.testing;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.testing.StrategyUnderTest;

import org.jdbi.v3.core.Jdbi;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One strategy on one database (or the in-memory strategy on none): the unit every behavioural
 * test runs against, so that each assertion is made for every strategy on every database.
 */
public final class StrategyFixture {

    /** The strategies over JDBI. */
    public static final List<StrategyKind> JDBI_KINDS = List.of(StrategyKind.OPTIMISTIC_VERSION,
            StrategyKind.PESSIMISTIC_LOCK, StrategyKind.CONDITIONAL_UPDATE, StrategyKind.UNIQUE_SLOTS,
            StrategyKind.COMBINING);

    /** The strategies that share the counter family. */
    public static final List<StrategyKind> COUNTER_KINDS = List.of(StrategyKind.OPTIMISTIC_VERSION,
            StrategyKind.PESSIMISTIC_LOCK, StrategyKind.CONDITIONAL_UPDATE, StrategyKind.COMBINING);

    private final StrategyKind kind;
    private final TestDatabase database;

    private StrategyFixture(StrategyKind kind, TestDatabase database) {
        this.kind = kind;
        this.database = database;
    }

    /** Every JDBI strategy on every database, and the in-memory strategy. */
    public static Stream<StrategyFixture> all() {
        return Stream.concat(Stream.of(inMemory()), onDatabases());
    }

    /** Every JDBI strategy on every database. */
    public static Stream<StrategyFixture> onDatabases() {
        List<StrategyFixture> fixtures = new ArrayList<>();
        for (TestDatabase database : TestDatabase.values()) {
            for (StrategyKind kind : JDBI_KINDS) {
                fixtures.add(new StrategyFixture(kind, database));
            }
        }
        return fixtures.stream();
    }

    public static StrategyFixture inMemory() {
        return new StrategyFixture(StrategyKind.IN_MEMORY, null);
    }

    public static StrategyFixture of(StrategyKind kind, TestDatabase database) {
        return new StrategyFixture(kind, database);
    }

    public StrategyKind kind() {
        return kind;
    }

    public boolean hasDatabase() {
        return database != null;
    }

    public TestDatabase database() {
        if (database == null) {
            throw new IllegalStateException(this + " has no database");
        }
        return database;
    }

    public Jdbi jdbi() {
        return database().jdbi();
    }

    /** A strategy with default options (a new in-memory strategy each time, with empty state). */
    public ReservationStrategy strategy() {
        return strategy(StrategyOptions.defaults());
    }

    public ReservationStrategy strategy(StrategyOptions options) {
        if (database == null) {
            return new InMemoryStrategy(options);
        }
        return JdbiStrategies.of(kind, database.jdbi(options.tablePrefix()), options);
    }

    public JdbiReservationStrategy jdbiStrategy() {
        return (JdbiReservationStrategy) strategy();
    }

    /** This strategy, as the shared contract suite takes it. */
    public StrategyUnderTest underTest() {
        return new StrategyUnderTest(toString(), this::strategy);
    }

    /** The ledger of a resource: rows for database strategies, nothing to read for in-memory. */
    public Ledger ledger(String resourceId) {
        return Ledger.read(database().jdbi(), StrategyOptions.DEFAULT_TABLE_PREFIX, resourceId);
    }

    @Override
    public String toString() {
        return database == null ? kind.strategyName() : kind.strategyName() + " @ " + database;
    }
}
