package dev.capacity.jdbc;

import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.testing.OrderContract;
import dev.capacity.testing.StrategyUnderTest;

import org.junit.jupiter.api.extension.ExtendWith;

import java.util.stream.Stream;

/** Every JDBI strategy on every database keeps the contract of orders; {@link LedgersAddUp} checks the ledgers. */
@ExtendWith(LedgersAddUp.class)
final class OrderContractTest extends OrderContract {

    @Override
    protected Stream<StrategyUnderTest> strategies() {
        return StrategyFixture.onDatabases().map(StrategyFixture::underTest);
    }
}
