package dev.capacity.testing;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;

import java.util.Objects;
import java.util.function.Function;

/**
 * A strategy to hold to the contract: the name a test report gives it, and a factory that makes a
 * new instance for given options.
 *
 * <p>This class is immutable and threadsafe if its factory is.
 *
 * @param name the strategy and, where it matters, its store: {@code conditional-update @ postgres}
 * @param factory makes a strategy with the given options
 */
public record StrategyUnderTest(String name, Function<StrategyOptions, ? extends ReservationStrategy> factory) {

    public StrategyUnderTest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(factory, "factory");
    }

    /** A new strategy with default options. */
    public ReservationStrategy create() {
        return create(StrategyOptions.defaults());
    }

    public ReservationStrategy create(StrategyOptions options) {
        return factory.apply(options);
    }

    @Override
    public String toString() {
        return name;
    }
}
