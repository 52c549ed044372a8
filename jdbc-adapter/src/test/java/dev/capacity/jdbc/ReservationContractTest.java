package dev.capacity.jdbc;

import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.testing.ReservationContract;
import dev.capacity.testing.StrategyUnderTest;

import org.junit.jupiter.api.extension.ExtendWith;

import java.util.stream.Stream;

/**
 * Every JDBI strategy on every database keeps the contract. What the answers leave in the tables
 * is checked by {@link ReservationContractRowsTest}, and the ledgers by {@link LedgersAddUp}.
 */
@ExtendWith(LedgersAddUp.class)
final class ReservationContractTest extends ReservationContract {

    @Override
    protected Stream<StrategyUnderTest> strategies() {
        return StrategyFixture.onDatabases().map(StrategyFixture::underTest);
    }
}
