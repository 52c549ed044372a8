package dev.capacity;

import dev.capacity.testing.LimitContract;
import dev.capacity.testing.StrategyUnderTest;

import java.util.stream.Stream;

/** The in-memory strategy keeps the contract of per-holder limits. */
final class LimitContractTest extends LimitContract {

    @Override
    protected Stream<StrategyUnderTest> strategies() {
        return Stream.of(new StrategyUnderTest(StrategyKind.IN_MEMORY.strategyName(), InMemoryStrategy::new));
    }
}
