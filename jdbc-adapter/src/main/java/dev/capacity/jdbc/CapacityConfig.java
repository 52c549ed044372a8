package dev.capacity.jdbc;

import dev.capacity.internal.Arguments;

import org.jdbi.v3.core.config.JdbiConfig;

/**
 * Jdbi configuration that names the strategy a {@link CapacitySqlObject} reserves with. Set it
 * with {@link CapacityPlugin}, or on one handle with
 * {@code handle.getConfig(CapacityConfig.class).setStrategy(strategy)}.
 *
 * <p>Like every {@link JdbiConfig}: not threadsafe while it is being set; each handle reads its
 * own copy.
 */
public final class CapacityConfig implements JdbiConfig<CapacityConfig> {

    private JdbiReservationStrategy strategy;

    /** Jdbi creates it; no strategy until one is set. */
    public CapacityConfig() {}

    private CapacityConfig(CapacityConfig other) {
        this.strategy = other.strategy;
    }

    /**
     * The strategy that {@link CapacitySqlObject} methods use.
     *
     * @throws IllegalStateException if none was set on this Jdbi or handle
     */
    public JdbiReservationStrategy strategy() {
        if (strategy == null) {
            throw new IllegalStateException("no capacity strategy is configured on this Jdbi: install "
                    + "CapacityPlugin.of(strategy) (or set CapacityConfig.setStrategy on the handle) before using a "
                    + "CapacitySqlObject");
        }
        return strategy;
    }

    public CapacityConfig setStrategy(JdbiReservationStrategy strategy) {
        this.strategy = Arguments.requireNonNull(strategy, "strategy");
        return this;
    }

    @Override
    public CapacityConfig createCopy() {
        return new CapacityConfig(this);
    }
}
