package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.Availability;
import dev.capacity.ReservationRequest;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A strategy built on the application's {@code DataSource} works as one built on its
 * {@code Jdbi}, and neither keeps a connection: after every kind of call, refused ones included,
 * the pool has all its connections back.
 */
@ExtendWith(LedgersAddUp.class)
final class ConnectionSourceTest {

    /** Every JDBI strategy on every database, built on the pool's Jdbi and on its DataSource. */
    static Stream<Arguments> strategies() {
        List<Arguments> arguments = new ArrayList<>();
        for (TestDatabase database : TestDatabase.values()) {
            for (StrategyKind kind : StrategyFixture.JDBI_KINDS) {
                for (boolean onDataSource : new boolean[] {false, true}) {
                    arguments.add(Arguments.of(kind, database, onDataSource));
                }
            }
        }
        return arguments.stream();
    }

    @ParameterizedTest(name = "{0} @ {1}, on its DataSource: {2}")
    @MethodSource("strategies")
    void everyCall_givesItsConnectionBack(StrategyKind kind, TestDatabase database, boolean onDataSource) {
        Jdbi jdbi = database.jdbi();
        CapacityPool pool = database.pool();
        try (JdbiReservationStrategy strategy = onDataSource
                ? JdbiStrategies.of(kind, pool.dataSource(), StrategyOptions.defaults())
                : JdbiStrategies.of(kind, jdbi, StrategyOptions.defaults())) {
            String run = newId("run");
            strategy.define(run, 2);
            long first = strategy.reserve(ReservationRequest.of(run, "a")).reservation().id();
            long second = jdbi.inTransaction(h -> strategy.reserve(h, ReservationRequest.of(run, "b")).reservation().id());
            assertThat(strategy.reserve(ReservationRequest.of(run, "c")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
            assertThat(strategy.reserve(ReservationRequest.of(newId("missing"), "c")).isReserved()).isFalse();
            assertThat(strategy.release(first)).isTrue();
            boolean releasedInTransaction = jdbi.inTransaction(h -> strategy.release(h, second));
            assertThat(releasedInTransaction).isTrue();
            assertThat(strategy.release(second)).isFalse();
            strategy.resize(run, 3);
            assertThat(strategy.reserve(ReservationRequest.of(run, "d").withQuantity(3)).status()).isEqualTo(RESERVED);
            assertThat(strategy.availability(run)).contains(new Availability(run, 3, 3));
        }

        assertThat(pool.activeConnections()).as("connections still lent out").isZero();
    }
}
