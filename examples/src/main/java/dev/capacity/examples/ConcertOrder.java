package dev.capacity.examples;

import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import java.util.ArrayList;
import java.util.List;

/**
 * Concert tickets with parking: a buyer orders some seats and, if they drive, a parking space,
 * and gets all of it or nothing: no seats without the parking space they asked for, no parking
 * space for seats that sold out. At most 4 seats per buyer, against scalpers.
 *
 * <p>{@link #order} sends the seats and the parking space as lines of one order
 * ({@link ReservationStrategy#reserveAll}): the strategy takes the two resources in one step, in
 * one canonical order, so buyers whose carts list them the other way round never deadlock and no
 * order is ever half booked. Every line carries a key made of the order's id and its resource,
 * so a double submit books once and is answered with the first booking ({@code REPLAYED}). The
 * seat limit is a per-holder limit ({@link ReservationStrategy#limitPerHolder}) counted over all
 * of a buyer's orders.
 *
 * <p>Run it: {@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=dev.capacity.examples.ConcertOrder}.
 *
 * <p>This class is threadsafe.
 */
public final class ConcertOrder {

    /** Seats one buyer may have, over all their orders. */
    public static final int SEATS_PER_BUYER = 4;

    /** What placing an order came to. */
    public enum Outcome {
        /** Every line is booked. */
        BOOKED,
        /** The same order was booked before; this is its booking. */
        ALREADY_BOOKED,
        /** Not enough seats left: nothing is booked. */
        SEATS_SOLD_OUT,
        /** No parking space left: nothing is booked, not even the seats. */
        PARKING_FULL,
        /** The buyer would have more than {@link #SEATS_PER_BUYER} seats: nothing is booked. */
        OVER_SEAT_LIMIT,
        TRY_AGAIN
    }

    /** An order's outcome and, when booked, its seats' and parking space's reservations. */
    public record Booking(Outcome outcome, List<Reservation> reservations) {}

    private final ReservationStrategy strategy;
    private final String seats;
    private final String parking;

    /** A concert on sale through {@code strategy}: {@code seats} seats, {@code spaces} parking spaces. */
    public ConcertOrder(ReservationStrategy strategy, String concert, int seats, int spaces) {
        this.strategy = strategy;
        this.seats = concert + "/seats";
        this.parking = concert + "/parking";
        strategy.define(this.seats, seats);
        strategy.define(this.parking, spaces);
        strategy.limitPerHolder(this.seats, SEATS_PER_BUYER);
    }

    /**
     * Books {@code seatCount} seats and, if {@code withParking}, a parking space, all or nothing.
     * {@code orderId} identifies the order: sending it again answers with the same booking.
     */
    public Booking order(String orderId, String buyer, int seatCount, boolean withParking) {
        List<ReservationRequest> lines = new ArrayList<>();
        lines.add(ReservationRequest.of(seats, buyer).withQuantity(seatCount).withIdempotencyKey(seats + "/" + orderId));
        if (withParking) {
            lines.add(ReservationRequest.of(parking, buyer).withIdempotencyKey(parking + "/" + orderId));
        }
        OrderResult result = strategy.reserveAll(lines);
        switch (result.status()) {
            case RESERVED:
                return new Booking(Outcome.BOOKED, result.reservations());
            case REPLAYED:
                return new Booking(Outcome.ALREADY_BOOKED, result.reservations());
            case INSUFFICIENT_CAPACITY:
                return new Booking(result.failedLine() == 0 ? Outcome.SEATS_SOLD_OUT : Outcome.PARKING_FULL, List.of());
            case HOLDER_LIMIT_REACHED:
                return new Booking(Outcome.OVER_SEAT_LIMIT, List.of());
            case CONTENDED:
                return new Booking(Outcome.TRY_AGAIN, List.of());
            default:
                throw new IllegalStateException("order " + orderId + ": " + result);
        }
    }

    /** Seats booked. */
    public long seatsBooked() {
        return strategy.availability(seats).orElseThrow().reserved();
    }

    /** Parking spaces booked. */
    public long parkingBooked() {
        return strategy.availability(parking).orElseThrow().reserved();
    }

    // ---- the demo

    static final int SEATS = 40;
    static final int SPACES = 6;
    static final int BUYERS = 20;

    /** Buyer i wants 1 to 3 seats; every other buyer drives. */
    static int seatsWanted(int buyer) {
        return 1 + buyer % 3;
    }

    static boolean drives(int buyer) {
        return buyer % 2 == 0;
    }

    /** Every buyer orders at once, asking again while the answer is TRY_AGAIN. */
    static List<Booking> rush(ConcertOrder concert) {
        return Crowd.atOnce(BUYERS, i -> {
            Booking booking;
            do {
                booking = concert.order("order-" + i, "buyer-" + i, seatsWanted(i), drives(i));
            } while (booking.outcome() == Outcome.TRY_AGAIN);
            return booking;
        });
    }

    public static void main(String[] args) {
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:concert;DB_CLOSE_DELAY=-1", "sa", "", 24)) {
            CapacitySchema.install(pool.jdbi());
            ConcertOrder concert = new ConcertOrder(JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi()),
                    "night-owls", SEATS, SPACES);
            System.out.printf("The Night Owls: %d seats and %d parking spaces. %d buyers order at once, 1 to 3 seats"
                    + " each; every other one drives and wants a parking space too.%n%n", SEATS, SPACES, BUYERS);

            List<Booking> bookings = rush(concert);

            long seatsOfBooked = 0;
            long spacesOfBooked = 0;
            for (int i = 0; i < BUYERS; i++) {
                if (bookings.get(i).outcome() == Outcome.BOOKED) {
                    seatsOfBooked += seatsWanted(i);
                    spacesOfBooked += drives(i) ? 1 : 0;
                }
            }
            for (Outcome outcome : List.of(Outcome.BOOKED, Outcome.PARKING_FULL)) {
                System.out.printf("  %-14s %2d orders%n", outcome, bookings.stream().filter(b -> b.outcome() == outcome).count());
            }
            System.out.printf("%n  seats booked: %d, exactly the booked orders' %d; parking: %d of %d, exactly the"
                    + " booked orders' %d%n", concert.seatsBooked(), seatsOfBooked, concert.parkingBooked(), SPACES,
                    spacesOfBooked);
            System.out.println("  no driver got seats without a parking space, and no parking space is held for"
                    + " seats that sold out.");

            System.out.printf("%n  buyer-1 double-submits order-1: %s, the same %d reservations%n",
                    concert.order("order-1", "buyer-1", seatsWanted(1), drives(1)).outcome(),
                    bookings.get(1).reservations().size());
            System.out.printf("  buyer-1 orders 3 more seats: %s (at most %d per buyer; they have %d)%n",
                    concert.order("order-1b", "buyer-1", 3, false).outcome(), SEATS_PER_BUYER, seatsWanted(1));
        }
    }
}
