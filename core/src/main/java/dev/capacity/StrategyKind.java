package dev.capacity;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The built-in strategies, each with the stable name its {@link ReservationStrategy#name()} returns. */
public enum StrategyKind {
    /** Read, decide, {@code UPDATE ... WHERE version = ?}, retry with jittered backoff. */
    OPTIMISTIC_VERSION("optimistic-version"),
    /** {@code SELECT ... FOR UPDATE} with a lock-wait timeout, decide, update. */
    PESSIMISTIC_LOCK("pessimistic-lock"),
    /** One guarded {@code UPDATE ... SET reserved = reserved + q WHERE reserved <= capacity - q}. */
    CONDITIONAL_UPDATE("conditional-update"),
    /** One row per unit under a unique key; the database's uniqueness decides the race. */
    UNIQUE_SLOTS("unique-slots"),
    /** Lock-free, in one JVM, no database. */
    IN_MEMORY("in-memory"),
    /**
     * Concurrent requests for one resource, within one JVM, granted together: one transaction,
     * one counter update and one commit for a whole batch, while the next batch gathers.
     */
    COMBINING("combining");

    private final String strategyName;

    StrategyKind(String strategyName) {
        this.strategyName = strategyName;
    }

    /** The stable name, as returned by {@link ReservationStrategy#name()}. */
    public String strategyName() {
        return strategyName;
    }

    /**
     * The kind with this stable name or enum constant name, ignoring case.
     *
     * @throws IllegalArgumentException naming the known strategies if there is none
     */
    public static StrategyKind fromName(String name) {
        dev.capacity.internal.Arguments.requireNonNull(name, "name");
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (StrategyKind kind : values()) {
            if (kind.strategyName.equals(wanted) || kind.name().toLowerCase(Locale.ROOT).equals(wanted)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("no strategy named '" + name + "'; known strategies: "
                + Arrays.stream(values()).map(StrategyKind::strategyName).collect(Collectors.joining(", ")));
    }
}
