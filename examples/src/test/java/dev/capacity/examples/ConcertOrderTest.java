package dev.capacity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.StrategyKind;
import dev.capacity.examples.ConcertOrder.Booking;
import dev.capacity.examples.ConcertOrder.Outcome;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

final class ConcertOrderTest {

    private static CapacityPool pool;

    @BeforeAll
    static void open() {
        pool = CapacityPool.open("jdbc:h2:mem:concert-test;DB_CLOSE_DELAY=-1", "sa", "", 30);
        CapacitySchema.install(pool.jdbi());
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    @ParameterizedTest
    @EnumSource(value = StrategyKind.class, names = {"CONDITIONAL_UPDATE", "PESSIMISTIC_LOCK", "OPTIMISTIC_VERSION",
            "COMBINING", "UNIQUE_SLOTS"})
    void rush_ofBuyersWithAndWithoutCars_booksWholeOrdersOnly(StrategyKind kind) {
        ConcertOrder concert = new ConcertOrder(JdbiStrategies.of(kind, pool.jdbi()), "show-" + kind.ordinal(),
                ConcertOrder.SEATS, ConcertOrder.SPACES);

        List<Booking> bookings = ConcertOrder.rush(concert);

        long seats = 0;
        long spaces = 0;
        for (int i = 0; i < ConcertOrder.BUYERS; i++) {
            Outcome outcome = bookings.get(i).outcome();
            if (outcome == Outcome.BOOKED) {
                seats += ConcertOrder.seatsWanted(i);
                spaces += ConcertOrder.drives(i) ? 1 : 0;
                assertThat(bookings.get(i).reservations()).hasSize(ConcertOrder.drives(i) ? 2 : 1);
            } else {
                assertThat(outcome).as("buyer %d", i).isEqualTo(Outcome.PARKING_FULL);
                assertThat(ConcertOrder.drives(i)).isTrue();
            }
        }
        assertThat(concert.seatsBooked()).as("seats of booked orders only").isEqualTo(seats);
        assertThat(concert.parkingBooked()).as("parking of booked orders only, all of it").isEqualTo(spaces)
                .isEqualTo(ConcertOrder.SPACES);
    }

    @Test
    void order_sentTwice_booksOnce_andTheSeatLimitCountsEveryOrder() {
        ConcertOrder concert = new ConcertOrder(JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi()),
                "matinee", 10, 1);
        Booking first = concert.order("o-1", "ada", 3, true);

        Booking again = concert.order("o-1", "ada", 3, true);
        Booking more = concert.order("o-2", "ada", 2, false);
        Booking noSpace = concert.order("o-3", "bob", 2, true);

        assertThat(first.outcome()).isEqualTo(Outcome.BOOKED);
        assertThat(again.outcome()).isEqualTo(Outcome.ALREADY_BOOKED);
        assertThat(again.reservations()).isEqualTo(first.reservations());
        assertThat(more.outcome()).isEqualTo(Outcome.OVER_SEAT_LIMIT);
        assertThat(noSpace.outcome()).isEqualTo(Outcome.PARKING_FULL);
        assertThat(concert.order("o-4", "bob", 5, false).outcome()).isEqualTo(Outcome.OVER_SEAT_LIMIT);
        assertThat(concert.order("o-5", "cy", 4, false).outcome()).isEqualTo(Outcome.BOOKED);
        assertThat(concert.order("o-6", "dee", 4, false).outcome()).isEqualTo(Outcome.SEATS_SOLD_OUT);
        assertThat(concert.seatsBooked()).isEqualTo(7);
        assertThat(concert.parkingBooked()).isEqualTo(1);
    }

    @Test
    void main_printsWholeOrdersADoubleSubmitAndTheSeatLimit() {
        String output = Printed.byMain(ConcertOrder::main);

        assertThat(output).contains("BOOKED", "PARKING_FULL", "parking: 6 of 6",
                "no driver got seats without a parking space",
                "buyer-1 double-submits order-1: ALREADY_BOOKED, the same 1 reservations",
                "buyer-1 orders 3 more seats: OVER_SEAT_LIMIT");
        assertThat(output).containsPattern("seats booked: (\\d+), exactly the booked orders' \\1;");
    }
}
