package dev.capacity;

import dev.capacity.testing.OrderContract;
import dev.capacity.testing.StrategyUnderTest;

import java.util.stream.Stream;

/** The in-memory strategy keeps the contract of orders. */
final class OrderContractTest extends OrderContract {

    @Override
    protected Stream<StrategyUnderTest> strategies() {
        return Stream.of(new StrategyUnderTest(StrategyKind.IN_MEMORY.strategyName(), InMemoryStrategy::new));
    }
}
