package dev.capacity.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StoreUnavailableException;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.jdbc.testing.Waits;
import dev.capacity.testing.ResourceIds;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;

/**
 * A lock wait that runs out of time answers CONTENDED and leaves the pool's connection in the
 * pool: the same database session serves the next call. A pool with every connection lent out
 * makes the next caller fail with {@link StoreUnavailableException} after the connection
 * timeout, and recovers as soon as a connection comes back.
 */
@ExtendWith(LedgersAddUp.class)
final class PoolUnderTimeoutsTest {

    private static final StrategyOptions OPTIONS = StrategyOptions.builder()
            .lockTimeout(Duration.ofMillis(50)).maxAttempts(1).build();

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void lockTimeouts_answerContended_andKeepTheConnection(TestDatabase database) {
        database.jdbi(); // the tables
        try (CapacityPool pool = CapacityPool.open(database.jdbcUrl(), database.user(), database.password(), 2,
                Duration.ofSeconds(2))) {
            ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.PESSIMISTIC_LOCK, pool.jdbi(), OPTIONS);
            String run = ResourceIds.newId("run");
            strategy.define(run, 5);

            try (Handle holder = pool.jdbi().open()) {
                holder.begin();
                holder.createQuery("SELECT capacity FROM capacity_resource WHERE id = :id FOR UPDATE")
                        .bind("id", run).mapTo(Long.class).one();
                Object session = session(pool.jdbi(), database); // the one other connection

                for (int i = 0; i < 20; i++) {
                    ReservationResult result = strategy.reserve(ReservationRequest.of(run, "h" + i));
                    assertThat(result.status()).as("call %d", i).isEqualTo(ReservationResult.Status.CONTENDED);
                }
                assertThat(session(pool.jdbi(), database)).isEqualTo(session);
                assertThat(pool.totalConnections()).isEqualTo(2);
                holder.rollback();
            }

            assertThat(strategy.reserve(ReservationRequest.of(run, "after")).isReserved()).isTrue();
            assertThat(pool.activeConnections()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void anExhaustedPool_failsWithStoreUnavailable_andRecovers(TestDatabase database) {
        database.jdbi();
        try (CapacityPool pool = CapacityPool.open(database.jdbcUrl(), database.user(), database.password(), 1,
                Duration.ofMillis(250))) {
            // the pool opens its connection in the background, which may take longer than a borrow waits
            Waits.until(() -> pool.totalConnections() == 1);
            ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi(), OPTIONS);
            String run = ResourceIds.newId("run");
            strategy.define(run, 5);

            try (Handle borrowed = pool.jdbi().open()) {
                borrowed.createQuery("SELECT 1").mapTo(Integer.class).one();
                assertThatThrownBy(() -> strategy.reserve(ReservationRequest.of(run, "h")))
                        .isInstanceOf(StoreUnavailableException.class);
            }

            assertThat(strategy.reserve(ReservationRequest.of(run, "h")).isReserved()).isTrue();
            assertThat(strategy.availability(run).orElseThrow().reserved()).isEqualTo(1);
            assertThat(pool.activeConnections()).isZero();
        }
    }

    /** The database's own name for the session of the pool's free connection. */
    private static Object session(Jdbi jdbi, TestDatabase database) {
        String query = database == TestDatabase.POSTGRES ? "SELECT pg_backend_pid()"
                : database == TestDatabase.MARIADB ? "SELECT CONNECTION_ID()" : "SELECT SESSION_ID()";
        return jdbi.withHandle(h -> h.createQuery(query).mapTo(Long.class).one());
    }
}
