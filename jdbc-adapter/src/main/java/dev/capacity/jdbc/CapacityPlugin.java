package dev.capacity.jdbc;

import dev.capacity.internal.Arguments;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.spi.JdbiPlugin;

/**
 * Makes a strategy the one that {@link CapacitySqlObject} DAOs of a {@link Jdbi} reserve with.
 *
 * <pre>{@code
 * JdbiReservationStrategy places = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, dataSource);
 * Jdbi jdbi = Jdbi.create(dataSource)
 *         .installPlugin(new SqlObjectPlugin())
 *         .installPlugin(CapacityPlugin.of(places));
 * }</pre>
 *
 * <p>One strategy per {@code Jdbi}: a second plugin replaces the first. This class is immutable
 * and threadsafe.
 */
public final class CapacityPlugin implements JdbiPlugin {

    private final JdbiReservationStrategy strategy;

    private CapacityPlugin(JdbiReservationStrategy strategy) {
        this.strategy = strategy;
    }

    public static CapacityPlugin of(JdbiReservationStrategy strategy) {
        return new CapacityPlugin(Arguments.requireNonNull(strategy, "strategy"));
    }

    @Override
    public void customizeJdbi(Jdbi jdbi) {
        jdbi.getConfig(CapacityConfig.class).setStrategy(strategy);
    }

    @Override
    public String toString() {
        return "CapacityPlugin{" + strategy.name() + '}';
    }
}
