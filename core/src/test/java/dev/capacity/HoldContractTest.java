package dev.capacity;

import dev.capacity.testing.HoldContract;
import dev.capacity.testing.StrategyUnderTest;

import java.util.stream.Stream;

/** The in-memory strategy keeps the contract of holds. */
final class HoldContractTest extends HoldContract {

    @Override
    protected Stream<StrategyUnderTest> strategies() {
        return Stream.of(new StrategyUnderTest(StrategyKind.IN_MEMORY.strategyName(), InMemoryStrategy::new));
    }
}
