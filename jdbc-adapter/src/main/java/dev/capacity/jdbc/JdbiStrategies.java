package dev.capacity.jdbc;

import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.Arguments;

import org.jdbi.v3.core.Jdbi;

import javax.sql.DataSource;

/**
 * The built-in strategies over JDBI. Each works on H2 and PostgreSQL, detected from the first
 * connection, on the tables {@link CapacitySchema#install} creates, and takes its connections
 * from the application's {@link Jdbi} or {@link DataSource}.
 *
 * <pre>{@code
 * Jdbi jdbi = Jdbi.create(dataSource);
 * CapacitySchema.install(jdbi);
 * JdbiReservationStrategy seats = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi);
 * seats.define("run-42", 20);
 * ReservationResult result = seats.reserve(ReservationRequest.of("run-42", "user-7"));
 * }</pre>
 *
 * <p>The counter strategies (optimistic-version, pessimistic-lock, conditional-update, combining)
 * share resources and may run on the same resource at once, from any number of processes. unique-slots
 * keeps its own resources; using one with a strategy of the other family is an
 * {@link IllegalStateException}.
 *
 * <p>Strategies are threadsafe and cheap; create one per configuration and share it.
 */
public final class JdbiStrategies {

    private JdbiStrategies() {}

    /** The strategy of {@code kind} with {@link StrategyOptions#defaults()}. */
    public static JdbiReservationStrategy of(StrategyKind kind, Jdbi jdbi) {
        return of(kind, jdbi, StrategyOptions.defaults());
    }

    /**
     * The strategy of {@code kind}, taking its own connections from {@code jdbi} (one
     * {@link Jdbi#open()} per transaction).
     *
     * @throws IllegalArgumentException for {@link StrategyKind#IN_MEMORY}, which needs no database
     */
    public static JdbiReservationStrategy of(StrategyKind kind, Jdbi jdbi, StrategyOptions options) {
        Arguments.requireNonNull(kind, "kind");
        return create(kind, ConnectionSource.of(Arguments.requireNonNull(jdbi, "jdbi")), options);
    }

    /** The strategy of {@code kind} with {@link StrategyOptions#defaults()}, on {@code dataSource}. */
    public static JdbiReservationStrategy of(StrategyKind kind, DataSource dataSource) {
        return of(kind, dataSource, StrategyOptions.defaults());
    }

    /**
     * The strategy of {@code kind}, taking its own connections straight from the application's
     * pool: a few microseconds less per transaction than through a {@link Jdbi} (no
     * {@code Handle} around each connection). The methods that take a {@code Handle} work the
     * same, with a handle of any {@code Jdbi} on the same database.
     *
     * @throws IllegalArgumentException for {@link StrategyKind#IN_MEMORY}, which needs no database
     */
    public static JdbiReservationStrategy of(StrategyKind kind, DataSource dataSource, StrategyOptions options) {
        Arguments.requireNonNull(kind, "kind");
        return create(kind, ConnectionSource.of(Arguments.requireNonNull(dataSource, "dataSource")), options);
    }

    private static JdbiReservationStrategy create(StrategyKind kind, ConnectionSource connections, StrategyOptions options) {
        Arguments.requireNonNull(options, "options");
        switch (kind) {
            case OPTIMISTIC_VERSION:
                return new OptimisticVersionStrategy(connections, options);
            case PESSIMISTIC_LOCK:
                return new PessimisticLockStrategy(connections, options);
            case CONDITIONAL_UPDATE:
                return new ConditionalUpdateStrategy(connections, options);
            case UNIQUE_SLOTS:
                return new UniqueSlotsStrategy(connections, options);
            case COMBINING:
                return new CombiningStrategy(connections, options);
            default:
                throw new IllegalArgumentException("kind " + kind + " is not a JDBI strategy; for "
                        + StrategyKind.IN_MEMORY + " use new dev.capacity.InMemoryStrategy()");
        }
    }

    /** Read, decide, {@code UPDATE ... WHERE version = ?}; retry with jittered backoff. */
    public static JdbiReservationStrategy optimisticVersion(Jdbi jdbi) {
        return of(StrategyKind.OPTIMISTIC_VERSION, jdbi);
    }

    /** {@code SELECT ... FOR UPDATE} with a lock-wait timeout, decide, update. */
    public static JdbiReservationStrategy pessimisticLock(Jdbi jdbi) {
        return of(StrategyKind.PESSIMISTIC_LOCK, jdbi);
    }

    /** One guarded {@code UPDATE}; zero rows means full. */
    public static JdbiReservationStrategy conditionalUpdate(Jdbi jdbi) {
        return of(StrategyKind.CONDITIONAL_UPDATE, jdbi);
    }

    /** One row per unit under a unique key; no hot counter row. */
    public static JdbiReservationStrategy uniqueSlots(Jdbi jdbi) {
        return of(StrategyKind.UNIQUE_SLOTS, jdbi);
    }

    /**
     * Concurrent requests for a resource granted a batch at a time, one commit each. Holds
     * requests in memory while they wait: {@link JdbiReservationStrategy#close() close} it when done.
     */
    public static JdbiReservationStrategy combining(Jdbi jdbi) {
        return of(StrategyKind.COMBINING, jdbi);
    }
}
