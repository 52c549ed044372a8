package dev.capacity.examples;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concert tickets with a checkout: "hold" puts a seat aside for the cart for ten minutes, while
 * the buyer types in a card; paying turns the hold into an order. A buyer who closes the tab
 * never says so, and the seat must not stay locked for them (the seeds' "the user who acquires
 * the lock decides to go out for dinner").
 *
 * <p>{@link #hold} reserves a seat as a hold ({@link ReservationRequest#withHold}) under an
 * idempotency key per cart, so a double click holds one seat. {@link #pay} authorizes the card,
 * then confirms the hold in the same transaction that writes the order row
 * ({@link JdbiReservationStrategy#confirm(org.jdbi.v3.core.Handle, long)}), and captures the money
 * only after that commit: a hold that ran out writes no order and its authorization is voided,
 * so nobody pays for a seat they did not get. An abandoned cart's seat comes back by itself when
 * its hold expires and the next buyer gets it; no sweeper job is needed.
 * {@link JdbiReservationStrategy#sweepExpiredHolds()} is housekeeping only.
 *
 * <p>Against scalpers, a buyer may have at most so many seats of an event, held or paid
 * ({@link JdbiReservationStrategy#limitPerHolder}): a bot opening carts from many threads at once
 * gets exactly that many, and a held seat that runs out no longer counts.
 *
 * <p>Expiry is judged by the strategy's clock ({@link StrategyOptions.Builder#clock}). A shop
 * passes {@link Clock#systemUTC()}; the demo passes a clock it moves forward, so it need not wait
 * ten minutes.
 *
 * <p>Run it: {@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=dev.capacity.examples.TicketCheckout}.
 *
 * <p>This class is threadsafe.
 */
public final class TicketCheckout {

    /** How long a seat stays on hold for an unpaid cart. */
    public static final Duration HOLD_TIME = Duration.ofMinutes(10);

    /** A buyer's cart for one event. Its id is the idempotency key of its hold: one cart, one hold, ever. */
    public record Cart(String id, String event, String buyer) {}

    /** What pressing "hold" came to. */
    public enum HoldOutcome {
        /** A seat is on hold for the cart until {@link Hold#expiresAt()} (also the answer to a double click). */
        HELD,
        /** The cart's hold ran out before it was paid; the buyer starts a new cart. */
        RAN_OUT,
        /** The cart's seat is paid for already. */
        PAID,
        /** Every seat is sold or on hold for someone else. */
        SOLD_OUT,
        /** The buyer has as many seats of the event, held or paid, as one buyer may. */
        LIMIT_REACHED,
        TRY_AGAIN
    }

    /**
     * A cart's seat hold. {@code reservationId} and {@code expiresAt} are 0 and null when the cart
     * holds nothing (SOLD_OUT, LIMIT_REACHED, TRY_AGAIN); {@code expiresAt} is null once PAID.
     */
    public record Hold(Cart cart, HoldOutcome outcome, long reservationId, Instant expiresAt) {}

    /** What pressing "pay" came to. */
    public enum PayOutcome {
        /** The order is written and the card charged. */
        PAID,
        /** An earlier payment of this cart won; this one's authorization is voided. */
        ALREADY_PAID,
        /** The hold expired first: no order, the authorization is voided, the seat was someone else's to take. */
        HOLD_RAN_OUT
    }

    /**
     * The payment provider: authorize the amount first, charge it (capture) only once the order
     * has committed, void the authorization otherwise. No provider call runs inside a database
     * transaction.
     */
    public interface Cards {
        /** Sets the amount aside on the buyer's card, charging nothing yet; the authorization's id. */
        String authorize(String buyer, long cents);

        /** Charges an authorized amount. */
        void capture(String authorization);

        /** Lets an authorization go: the buyer is never charged. */
        void voidAuthorization(String authorization);
    }

    private final Jdbi jdbi;
    private final JdbiReservationStrategy seats;
    private final Clock clock;
    private final Cards cards;

    /** A checkout selling seats through {@code kind}, whose holds expire by {@code clock}. */
    public TicketCheckout(Jdbi jdbi, StrategyKind kind, Clock clock, Cards cards) {
        this.jdbi = jdbi;
        this.seats = JdbiStrategies.of(kind, jdbi, StrategyOptions.builder().clock(clock).build());
        this.clock = clock;
        this.cards = cards;
    }

    /** The application's own table: one order per paid cart, pointing at its seat's reservation. */
    public void createTables() {
        jdbi.useHandle(h -> h.execute("CREATE TABLE IF NOT EXISTS ticket_order ("
                + " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, cart VARCHAR(64) NOT NULL UNIQUE,"
                + " event VARCHAR(64) NOT NULL, buyer VARCHAR(64) NOT NULL, reservation_id BIGINT NOT NULL UNIQUE,"
                + " card_authorization VARCHAR(64) NOT NULL, paid_at TIMESTAMP WITH TIME ZONE NOT NULL)"));
    }

    /** Puts {@code count} seats of an event on sale, at most {@code perBuyer} to one buyer. */
    public void onSale(String event, int count, int perBuyer) {
        seats.define(event, count);
        seats.limitPerHolder(event, perBuyer);
    }

    /**
     * Puts a seat on hold for the cart for {@link #HOLD_TIME}. Pressing it again, or twice at once,
     * answers with the same hold; after the hold ran out, with RAN_OUT (the cart's key stays
     * used, so a new attempt needs a new cart).
     */
    public Hold hold(Cart cart) {
        ReservationResult result = seats.reserve(ReservationRequest.of(cart.event(), cart.buyer())
                .withIdempotencyKey(cart.id()).withHold(HOLD_TIME));
        switch (result.status()) {
            case RESERVED:
            case REPLAYED:
                Reservation seat = result.reservation();
                Instant expiresAt = seat.expiresAt().orElse(null);
                if (expiresAt == null) {
                    return new Hold(cart, HoldOutcome.PAID, seat.id(), null);
                }
                // a replay shows the hold as it was made: past its expiry, it is a seat no more
                HoldOutcome outcome = seat.isExpiredAt(clock.instant()) ? HoldOutcome.RAN_OUT : HoldOutcome.HELD;
                return new Hold(cart, outcome, seat.id(), expiresAt);
            case INSUFFICIENT_CAPACITY:
                return new Hold(cart, HoldOutcome.SOLD_OUT, 0, null);
            case HOLDER_LIMIT_REACHED:
                return new Hold(cart, HoldOutcome.LIMIT_REACHED, 0, null);
            case CONTENDED:
                return new Hold(cart, HoldOutcome.TRY_AGAIN, 0, null);
            default:
                throw new IllegalStateException("cart " + cart.id() + ": " + result.status());
        }
    }

    /**
     * Pays for a held seat: authorizes the card, confirms the hold and writes the order in one
     * transaction, then captures the money, or voids the authorization if no order was written.
     */
    public PayOutcome pay(Hold hold, long cents) {
        if (hold.reservationId() == 0) {
            throw new IllegalArgumentException("cart " + hold.cart().id() + " holds no seat: " + hold.outcome());
        }
        Cart cart = hold.cart();
        String authorization = cards.authorize(cart.buyer(), cents);
        HoldStatus status;
        try {
            status = jdbi.inTransaction(h -> {
                HoldStatus confirmed = seats.confirm(h, hold.reservationId());
                if (confirmed == HoldStatus.CONFIRMED) {
                    h.createUpdate("INSERT INTO ticket_order (cart, event, buyer, reservation_id, card_authorization,"
                                    + " paid_at) VALUES (:cart, :event, :buyer, :reservation, :authorization, :paidAt)")
                            .bind("cart", cart.id()).bind("event", cart.event()).bind("buyer", cart.buyer())
                            .bind("reservation", hold.reservationId()).bind("authorization", authorization)
                            .bind("paidAt", OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC)).execute();
                }
                return confirmed;
            });
        } catch (RuntimeException e) {
            return afterFailedPayment(authorization, e);
        }
        if (status == HoldStatus.CONFIRMED) {
            cards.capture(authorization);
            return PayOutcome.PAID;
        }
        cards.voidAuthorization(authorization);
        switch (status) {
            case ALREADY_CONFIRMED:
                return PayOutcome.ALREADY_PAID;
            case EXPIRED:
                return PayOutcome.HOLD_RAN_OUT;
            default:
                throw new IllegalStateException("cart " + cart.id() + ", reservation " + hold.reservationId() + ": " + status);
        }
    }

    /**
     * A payment whose transaction failed. Usually nothing committed, but a connection lost during
     * COMMIT leaves that unknown: the order row, if it is there, says the seat is paid.
     */
    private PayOutcome afterFailedPayment(String authorization, RuntimeException failure) {
        boolean ordered;
        try {
            ordered = jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM ticket_order WHERE card_authorization = :a")
                    .bind("a", authorization).mapTo(Integer.class).one()) == 1;
        } catch (RuntimeException unreachable) {
            // unsettled: the authorization lapses by itself unless reconciliation finds the order
            failure.addSuppressed(unreachable);
            throw failure;
        }
        if (ordered) {
            cards.capture(authorization);
            return PayOutcome.PAID;
        }
        cards.voidAuthorization(authorization);
        throw failure;
    }

    /** Housekeeping: ends the holds that have expired and nothing has ended yet; how many. */
    public long sweepExpiredHolds() {
        return seats.sweepExpiredHolds();
    }

    /** Seats of an event: {@code available()} to sell, {@code held()} in unpaid carts, the rest sold. */
    public Availability seats(String event) {
        return seats.availability(event).orElseThrow();
    }

    /** Orders written for an event. */
    public long orders(String event) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM ticket_order WHERE event = :event")
                .bind("event", event).mapTo(Long.class).one());
    }

    /** Whether the cart has an order. */
    public boolean hasOrder(Cart cart) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM ticket_order WHERE cart = :cart")
                .bind("cart", cart.id()).mapTo(Integer.class).one()) == 1;
    }

    // ---- the demo

    /**
     * The demo's clock: it stands still until the story moves it, so the story can jump ten
     * minutes ahead instead of sleeping through them. {@link #withZone} makes it a {@link Clock}.
     */
    static final class ShopClock implements InstantSource {
        private volatile Instant now;

        ShopClock(Instant start) {
            this.now = start;
        }

        void moveTo(Instant instant) {
            now = instant;
        }

        void moveBy(Duration amount) {
            now = now.plus(amount);
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Cards that always authorize, and remember what was charged and what was let go. */
    static final class PretendCards implements Cards {
        private final AtomicLong ids = new AtomicLong();
        private final Map<String, String> buyers = new ConcurrentHashMap<>();
        private final Map<String, Long> amounts = new ConcurrentHashMap<>();
        private final Map<String, String> ended = new ConcurrentHashMap<>();

        @Override
        public String authorize(String buyer, long cents) {
            String authorization = "auth-" + ids.incrementAndGet();
            buyers.put(authorization, buyer);
            amounts.put(authorization, cents);
            return authorization;
        }

        @Override
        public void capture(String authorization) {
            end(authorization, "captured");
        }

        @Override
        public void voidAuthorization(String authorization) {
            end(authorization, "voided");
        }

        private void end(String authorization, String how) {
            String before = ended.putIfAbsent(authorization, how);
            if (before != null) {
                throw new IllegalStateException(authorization + " was " + before + " already");
            }
        }

        /** Cents charged to a buyer: what was captured. */
        long charged(String buyer) {
            return amounts.entrySet().stream()
                    .filter(a -> buyer.equals(buyers.get(a.getKey())) && "captured".equals(ended.get(a.getKey())))
                    .mapToLong(Map.Entry::getValue).sum();
        }

        /** How many authorizations ended {@code how}: "captured" or "voided". */
        long count(String how) {
            return ended.values().stream().filter(how::equals).count();
        }

        /** Authorizations neither captured nor voided: money set aside on a card and forgotten. */
        long dangling() {
            return ids.get() - ended.size();
        }
    }

    static final String CONCERT = "night-owls-2030-06-14";
    static final int SEATS = 3;
    static final int PER_BUYER = 1;
    static final long PRICE = 4500;
    static final Instant DOORS = Instant.parse("2030-06-14T19:30:00Z");

    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

    public static void main(String[] args) {
        ShopClock shopClock = new ShopClock(DOORS);
        Clock clock = shopClock.withZone(ZoneOffset.UTC);
        PretendCards cards = new PretendCards();
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:tickets;DB_CLOSE_DELAY=-1", "sa", "", 8)) {
            CapacitySchema.install(pool.jdbi());
            TicketCheckout shop = new TicketCheckout(pool.jdbi(), StrategyKind.CONDITIONAL_UPDATE, clock, cards);
            shop.createTables();
            shop.onSale(CONCERT, SEATS, PER_BUYER);
            Cart ada = new Cart("cart-ada", CONCERT, "ada");
            Cart bob = new Cart("cart-bob", CONCERT, "bob");
            Cart cy = new Cart("cart-cy", CONCERT, "cy");
            Cart dee = new Cart("cart-dee", CONCERT, "dee");

            System.out.printf("The Night Owls: %d seats left at %s. A seat stays on hold for %d minutes while its"
                    + " buyer pays; one seat per buyer.%nThe shop's clock is one the demo moves forward instead of waiting"
                    + " (StrategyOptions.builder().clock(...)).%n%n", SEATS, dollars(PRICE), HOLD_TIME.toMinutes());

            List<Hold> clicks = Crowd.atOnce(2, i -> shop.hold(ada));
            boolean oneHold = clicks.get(0).reservationId() == clicks.get(1).reservationId();
            say(clock, "ada", "double-clicks \"hold\": %s, until %s", oneHold ? "both clicks get the same hold, one seat"
                    : "two holds (a bug)", hhmm(clicks.get(0).expiresAt()));
            say(clock, "ada", "opens a second cart for a friend: %s (one seat per buyer, held or paid)",
                    shop.hold(new Cart("cart-ada-2", CONCERT, "ada")).outcome());
            Hold bobs = shop.hold(bob);
            say(clock, "bob", "holds a seat until %s", hhmm(bobs.expiresAt()));
            shopClock.moveTo(at("19:31"));
            Hold cys = shop.hold(cy);
            say(clock, "cy", "holds the last seat until %s", hhmm(cys.expiresAt()));
            shopClock.moveTo(at("19:32"));
            say(clock, "dee", "presses \"hold\": %s (%s)", shop.hold(dee).outcome(), seatsNow(shop));

            shopClock.moveTo(at("19:35"));
            PayOutcome adaPaid = shop.pay(clicks.get(0), PRICE);
            say(clock, "ada", "pays: %s. Her seat is confirmed in the transaction that writes her order;"
                    + " then %s is charged", adaPaid, dollars(cards.charged("ada")));
            say(clock, "bob", "closes the tab. Nothing tells the shop; his cart is abandoned.");
            say(clock, "cy", "wanders off to compare prices; her cart is abandoned too.");
            shopClock.moveTo(at("19:39").plusSeconds(59));
            say(clock, "dee", "presses \"hold\" again: %s (bob's hold runs until %s)", shop.hold(dee).outcome(),
                    hhmm(bobs.expiresAt()));

            shopClock.moveTo(at("19:40"));
            say(clock, "", "bob's hold has run out; no job has run: %s", seatsNow(shop));
            Hold dees = shop.hold(dee);
            say(clock, "dee", "presses \"hold\" again: %s until %s, the seat bob left", dees.outcome(), hhmm(dees.expiresAt()));
            shopClock.moveTo(at("19:41"));
            say(clock, "dee", "pays: %s", shop.pay(dees, PRICE));

            shopClock.moveTo(at("19:42"));
            PayOutcome bobPaid = shop.pay(bobs, PRICE);
            say(clock, "bob", "comes back and pays: %s. No order is written; the shop voids his card's authorization:"
                    + " charged %s.", bobPaid, dollars(cards.charged("bob")));
            say(clock, "bob", "presses \"hold\" on his old cart: %s; a new cart would try for a seat again.",
                    shop.hold(bob).outcome());

            shopClock.moveTo(at("23:00"));
            String before = seatsNow(shop);
            long swept = shop.sweepExpiredHolds();
            say(clock, "", "nightly housekeeping, sweepExpiredHolds(): ended %d expired hold (cy's, which nothing had"
                    + " touched since)", swept);
            say(clock, "", "seats before the sweep: %s; after it: %s", before, seatsNow(shop));

            System.out.printf("%n  orders: %d, cards charged: %d, authorizations voided: %d, seats still for sale: %d%n",
                    shop.orders(CONCERT), cards.count("captured"), cards.count("voided"), shop.seats(CONCERT).available());
            System.out.println("  every abandoned seat came back when its hold ran out, without a sweeper;");
            System.out.println("  no seat was sold twice, and nobody paid for a seat they did not get.");
        }
    }

    private static Instant at(String hhmm) {
        return DOORS.atOffset(ZoneOffset.UTC).with(LocalTime.parse(hhmm)).toInstant();
    }

    private static String hhmm(Instant instant) {
        return HH_MM.format(instant);
    }

    private static String dollars(long cents) {
        return String.format("$%d.%02d", cents / 100, cents % 100);
    }

    private static String seatsNow(TicketCheckout shop) {
        Availability seats = shop.seats(CONCERT);
        return String.format("%d sold, %d on hold, %d available", seats.reserved() - seats.held(), seats.held(),
                seats.available());
    }

    private static void say(Clock clock, String who, String format, Object... args) {
        System.out.printf("  %s  %-4s %s%n", hhmm(clock.instant()), who, String.format(format, args));
    }
}
