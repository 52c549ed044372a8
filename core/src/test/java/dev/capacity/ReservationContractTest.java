package dev.capacity;

import dev.capacity.testing.ReservationContract;
import dev.capacity.testing.StrategyUnderTest;

import java.util.stream.Stream;

/** The in-memory strategy keeps the contract. */
final class ReservationContractTest extends ReservationContract {

    @Override
    protected Stream<StrategyUnderTest> strategies() {
        return Stream.of(new StrategyUnderTest(StrategyKind.IN_MEMORY.strategyName(), InMemoryStrategy::new));
    }
}
