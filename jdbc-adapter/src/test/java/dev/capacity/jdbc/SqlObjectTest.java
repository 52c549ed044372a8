package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.transaction.Transaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * A SqlObject DAO that extends {@link CapacitySqlObject} reserves inside its own
 * {@code @Transaction} methods: the units and the DAO's rows commit or roll back together, for
 * every strategy on every database.
 */
@ExtendWith(LedgersAddUp.class)
final class SqlObjectTest {

    /** An order table and the two flows a shop writes against it. */
    public interface Orders extends CapacitySqlObject {

        @SqlUpdate("CREATE TABLE IF NOT EXISTS sqlobject_order (resource_id VARCHAR(200) NOT NULL,"
                + " holder_id VARCHAR(200) NOT NULL, reservation_id BIGINT NOT NULL PRIMARY KEY)")
        void createTable();

        @SqlUpdate("INSERT INTO sqlobject_order (resource_id, holder_id, reservation_id) VALUES (:resource, :holder, :reservation)")
        void insert(@Bind("resource") String resourceId, @Bind("holder") String holderId,
                    @Bind("reservation") long reservationId);

        @SqlUpdate("DELETE FROM sqlobject_order WHERE reservation_id = :reservation")
        int delete(@Bind("reservation") long reservationId);

        @SqlQuery("SELECT COUNT(*) FROM sqlobject_order WHERE resource_id = :resource")
        int count(@Bind("resource") String resourceId);

        /** Reserves one unit and records the order; throws after both if {@code failAfterwards}. */
        @Transaction
        default ReservationResult order(String resourceId, String holderId, boolean failAfterwards) {
            ReservationResult unit = reserve(ReservationRequest.of(resourceId, holderId));
            if (unit.isReserved()) {
                insert(resourceId, holderId, unit.reservation().id());
            }
            if (failAfterwards) {
                throw new IllegalStateException("the payment was declined");
            }
            return unit;
        }

        /** Cancels an order: its row goes and its unit comes back, together. */
        @Transaction
        default boolean cancel(long reservationId) {
            return delete(reservationId) == 1 && release(reservationId);
        }
    }

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.onDatabases();
    }

    private static Orders orders(StrategyFixture fixture, JdbiReservationStrategy strategy) {
        Jdbi jdbi = Jdbi.create(fixture.database().pool().dataSource())
                .installPlugin(new SqlObjectPlugin())
                .installPlugin(CapacityPlugin.of(strategy));
        Orders orders = jdbi.onDemand(Orders.class);
        orders.createTable();
        return orders;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void transactionMethod_reservingAndInserting_commitsBoth(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        Orders orders = orders(fixture, strategy);
        String run = newId("run");
        strategy.define(run, 1);

        ReservationResult first = orders.order(run, "ada", false);
        ReservationResult second = orders.order(run, "bob", false);

        assertThat(first.status()).isEqualTo(RESERVED);
        assertThat(second.status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(orders.count(run)).isEqualTo(1);
        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void transactionMethod_failingAfterReserving_writesNothing(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        Orders orders = orders(fixture, strategy);
        String run = newId("run");
        strategy.define(run, 1);

        assertThatThrownBy(() -> orders.order(run, "ada", true)).hasMessageContaining("declined");

        assertThat(orders.count(run)).isZero();
        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 0));
        assertThat(fixture.ledger(run).reservationRows()).isZero();
        assertThat(orders.order(run, "bob", false).status()).isEqualTo(RESERVED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void cancel_inATransactionMethod_deletesTheOrderAndReturnsTheUnit(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = fixture.jdbiStrategy();
        Orders orders = orders(fixture, strategy);
        String run = newId("run");
        strategy.define(run, 1);
        long reservation = orders.order(run, "ada", false).reservation().id();

        assertThat(orders.cancel(reservation)).isTrue();
        assertThat(orders.cancel(reservation)).isFalse();

        assertThat(orders.count(run)).isZero();
        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 0));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void dao_onAJdbiWithoutThePlugin_saysWhatToInstall(TestDatabase database) {
        Orders orders = Jdbi.create(database.pool().dataSource()).installPlugin(new SqlObjectPlugin())
                .onDemand(Orders.class);

        assertThatThrownBy(() -> orders.reserve(ReservationRequest.of(newId("run"), "ada")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CapacityPlugin.of(strategy)");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void capacity_isTheStrategyThePluginInstalled(TestDatabase database) {
        JdbiReservationStrategy strategy = JdbiStrategies.conditionalUpdate(database.jdbi());
        Jdbi jdbi = Jdbi.create(database.pool().dataSource()).installPlugin(new SqlObjectPlugin())
                .installPlugin(CapacityPlugin.of(strategy));

        assertThat(jdbi.onDemand(Orders.class).capacity()).isSameAs(strategy);
        JdbiReservationStrategy attached = jdbi.withHandle(h -> h.attach(Orders.class).capacity());
        assertThat(attached).isSameAs(strategy);
        assertThat(CapacityPlugin.of(strategy)).hasToString("CapacityPlugin{conditional-update}");
    }

    @Test
    void plugin_withoutAStrategy_isRefusedNamingIt() {
        assertThatThrownBy(() -> CapacityPlugin.of(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("strategy must not be null");
        assertThatThrownBy(() -> new CapacityConfig().setStrategy(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("strategy must not be null");
    }
}
