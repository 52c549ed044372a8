package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.testing.Ledger;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * unique-slots keeps its own resources: a counter strategy on a slot resource (or the reverse)
 * is a clear IllegalStateException that writes nothing, never a silent corruption of the ledger.
 */
@ExtendWith(LedgersAddUp.class)
final class FamilyTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void counterStrategies_onASlotResource_areRejectedAndWriteNothing(TestDatabase database) {
        ReservationStrategy slots = StrategyFixture.of(StrategyKind.UNIQUE_SLOTS, database).strategy();
        String run = newId("run");
        slots.define(run, 3);
        Reservation held = slots.reserve(ReservationRequest.of(run, "h")).reservation();

        for (StrategyKind kind : StrategyFixture.COUNTER_KINDS) {
            ReservationStrategy counter = StrategyFixture.of(kind, database).strategy();
            assertThatThrownBy(() -> counter.reserve(ReservationRequest.of(run, "x").withIdempotencyKey(newId("k"))))
                    .as(kind.strategyName()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(run).hasMessageContaining("unique-slots");
            assertThatThrownBy(() -> counter.resize(run, 10)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> counter.adjust(run, 10)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> counter.define(run, 3)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> counter.release(held.id())).isInstanceOf(IllegalStateException.class);
        }

        assertThat(slots.availability(run)).contains(new Availability(run, 3, 1));
        Ledger ledger = Ledger.read(database.jdbi(), "capacity_", run);
        assertThat(ledger.reservationRows()).isEqualTo(1);
        assertThat(ledger.releasedRows()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void uniqueSlots_onACounterResource_isRejectedAndWritesNothing(TestDatabase database) {
        ReservationStrategy counter = StrategyFixture.of(StrategyKind.CONDITIONAL_UPDATE, database).strategy();
        ReservationStrategy slots = StrategyFixture.of(StrategyKind.UNIQUE_SLOTS, database).strategy();
        String run = newId("run");
        counter.define(run, 3);
        Reservation held = counter.reserve(ReservationRequest.of(run, "h")).reservation();

        assertThatThrownBy(() -> slots.reserve(ReservationRequest.of(run, "x")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(run).hasMessageContaining("counter strategies");
        assertThatThrownBy(() -> slots.resize(run, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slots.adjust(run, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slots.define(run, 3)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slots.release(held.id())).isInstanceOf(IllegalStateException.class);

        assertThat(counter.availability(run)).contains(new Availability(run, 3, 1));
        Ledger ledger = Ledger.read(database.jdbi(), "capacity_", run);
        assertThat(ledger.reservationRows()).isEqualTo(1);
        assertThat(ledger.slotRows()).isZero();
    }
}
