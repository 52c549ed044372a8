package dev.capacity.examples;

import static dev.capacity.examples.TicketCheckout.DOORS;
import static dev.capacity.examples.TicketCheckout.HOLD_TIME;
import static dev.capacity.examples.TicketCheckout.PRICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.StrategyKind;
import dev.capacity.examples.TicketCheckout.Cart;
import dev.capacity.examples.TicketCheckout.Hold;
import dev.capacity.examples.TicketCheckout.HoldOutcome;
import dev.capacity.examples.TicketCheckout.PayOutcome;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

final class TicketCheckoutTest {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final String EVENT = "concert";

    private CapacityPool pool;
    private final TicketCheckout.ShopClock clock = new TicketCheckout.ShopClock(DOORS);
    private final TicketCheckout.PretendCards cards = new TicketCheckout.PretendCards();

    /** A database of its own for each test, so that a sweep sees only this test's holds. */
    @BeforeEach
    void openDatabase() {
        pool = CapacityPool.open("jdbc:h2:mem:ticket-checkout-" + DATABASES.incrementAndGet(), "sa", "", 48);
        CapacitySchema.install(pool.jdbi());
    }

    @AfterEach
    void closeDatabase() {
        pool.close();
    }

    private TicketCheckout shop(StrategyKind kind, int seats) {
        TicketCheckout shop = new TicketCheckout(pool.jdbi(), kind, clock.withZone(ZoneOffset.UTC), cards);
        shop.createTables();
        shop.onSale(EVENT, seats, seats);
        return shop;
    }

    private static Cart cart(String buyer) {
        return new Cart("cart-" + buyer, EVENT, buyer);
    }

    @Test
    void pay_liveHold_writesTheOrderAndTheSeatStaysSoldAfterTheHoldTime() {
        TicketCheckout shop = shop(StrategyKind.CONDITIONAL_UPDATE, 1);
        Hold ada = shop.hold(cart("ada"));
        clock.moveBy(HOLD_TIME.minusSeconds(1));

        assertThat(shop.pay(ada, PRICE)).isEqualTo(PayOutcome.PAID);

        clock.moveBy(Duration.ofHours(1));
        assertThat(shop.hasOrder(ada.cart())).isTrue();
        assertThat(cards.charged("ada")).isEqualTo(PRICE);
        assertThat(shop.seats(EVENT)).isEqualTo(new Availability(EVENT, 1, 1, 0));
        assertThat(shop.hold(cart("bob")).outcome()).isEqualTo(HoldOutcome.SOLD_OUT);
        assertThat(shop.sweepExpiredHolds()).isZero();
        assertThat(shop.pay(ada, PRICE)).as("a second press of \"pay\"").isEqualTo(PayOutcome.ALREADY_PAID);
        assertThat(shop.hold(ada.cart()).outcome()).isEqualTo(HoldOutcome.PAID);
        assertThat(cards.charged("ada")).as("charged once").isEqualTo(PRICE);
        assertThat(shop.orders(EVENT)).isEqualTo(1);
        assertThat(cards.dangling()).isZero();
    }

    @Test
    void hold_abandonedCartsSeat_isSoldAgainWhenItsHoldExpiresAndNotBefore() {
        TicketCheckout shop = shop(StrategyKind.CONDITIONAL_UPDATE, 1);
        Hold abandoned = shop.hold(cart("bob"));

        clock.moveBy(HOLD_TIME.minusMillis(1));
        assertThat(shop.hold(cart("dee")).outcome()).isEqualTo(HoldOutcome.SOLD_OUT);
        assertThat(shop.seats(EVENT)).isEqualTo(new Availability(EVENT, 1, 1, 1));

        clock.moveBy(Duration.ofMillis(1));
        assertThat(shop.seats(EVENT)).as("no sweeper ran").isEqualTo(new Availability(EVENT, 1, 0, 0));
        Hold dee = shop.hold(cart("dee"));
        assertThat(dee.outcome()).isEqualTo(HoldOutcome.HELD);
        assertThat(dee.expiresAt()).isEqualTo(DOORS.plus(HOLD_TIME).plus(HOLD_TIME));
        assertThat(shop.pay(dee, PRICE)).isEqualTo(PayOutcome.PAID);

        assertThat(shop.pay(abandoned, PRICE)).isEqualTo(PayOutcome.HOLD_RAN_OUT);
        assertThat(shop.orders(EVENT)).isEqualTo(1);
        assertThat(shop.hasOrder(dee.cart())).isTrue();
        assertThat(shop.seats(EVENT)).isEqualTo(new Availability(EVENT, 1, 1, 0));
    }

    @Test
    void pay_atOrAfterTheHoldsExpiry_writesNoOrderAndChargesNothing() {
        TicketCheckout shop = shop(StrategyKind.CONDITIONAL_UPDATE, 1);
        Hold bob = shop.hold(cart("bob"));
        clock.moveBy(HOLD_TIME);

        assertThat(shop.pay(bob, PRICE)).isEqualTo(PayOutcome.HOLD_RAN_OUT);

        assertThat(shop.hasOrder(bob.cart())).isFalse();
        assertThat(shop.orders(EVENT)).isZero();
        assertThat(cards.charged("bob")).isZero();
        assertThat(cards.count("voided")).isEqualTo(1);
        assertThat(cards.dangling()).isZero();
        assertThat(shop.seats(EVENT).available()).isEqualTo(1);
        assertThat(shop.hold(bob.cart()).outcome()).as("the old cart's key").isEqualTo(HoldOutcome.RAN_OUT);
        assertThat(shop.seats(EVENT).available()).as("RAN_OUT holds nothing").isEqualTo(1);
        assertThat(shop.hold(new Cart("cart-bob-2", EVENT, "bob")).outcome()).isEqualTo(HoldOutcome.HELD);
    }

    @Test
    void pay_whenTheOrderRowFails_rollsTheConfirmBackAndVoidsTheCard() {
        TicketCheckout shop = shop(StrategyKind.CONDITIONAL_UPDATE, 1);
        // a valid idempotency key, but too long for ticket_order.cart: the INSERT after the confirm fails
        Hold eve = shop.hold(new Cart("cart-" + "e".repeat(80), EVENT, "eve"));

        assertThatThrownBy(() -> shop.pay(eve, PRICE)).hasMessageContaining("ticket_order");

        assertThat(cards.count("voided")).isEqualTo(1);
        assertThat(cards.dangling()).isZero();
        assertThat(shop.orders(EVENT)).isZero();
        assertThat(shop.seats(EVENT)).as("still a hold, not a sale").isEqualTo(new Availability(EVENT, 1, 1, 1));
        clock.moveBy(HOLD_TIME);
        assertThat(shop.seats(EVENT).available()).isEqualTo(1);
    }

    @Test
    void hold_doubleClick_holdsOneSeat() {
        TicketCheckout shop = shop(StrategyKind.CONDITIONAL_UPDATE, 2);

        List<Hold> clicks = Crowd.atOnce(2, i -> shop.hold(cart("ada")));

        assertThat(clicks).extracting(Hold::outcome).containsOnly(HoldOutcome.HELD);
        assertThat(clicks.get(1).reservationId()).isEqualTo(clicks.get(0).reservationId());
        assertThat(shop.seats(EVENT)).isEqualTo(new Availability(EVENT, 2, 1, 1));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StrategyKind.class, names = "IN_MEMORY", mode = EnumSource.Mode.EXCLUDE)
    void hold_scalperBotsCartsAtOnce_getExactlyTheLimitUntilTheirHoldsRunOut(StrategyKind kind) {
        TicketCheckout shop = new TicketCheckout(pool.jdbi(), kind, clock.withZone(ZoneOffset.UTC), cards);
        shop.createTables();
        shop.onSale(EVENT, 20, 4);

        List<Hold> bot = Crowd.atOnce(12, i -> shop.hold(new Cart("bot-cart-" + i, EVENT, "bot")));
        Hold fan = shop.hold(cart("fan"));

        assertThat(bot).filteredOn(h -> h.outcome() == HoldOutcome.HELD).hasSize(4);
        assertThat(bot).extracting(Hold::outcome).containsOnly(HoldOutcome.HELD, HoldOutcome.LIMIT_REACHED);
        assertThat(fan.outcome()).isEqualTo(HoldOutcome.HELD);
        assertThat(shop.seats(EVENT)).isEqualTo(new Availability(EVENT, 20, 5, 5));

        clock.moveBy(HOLD_TIME);
        List<Hold> again = Crowd.atOnce(6, i -> shop.hold(new Cart("bot-cart-again-" + i, EVENT, "bot")));

        assertThat(again).as("the bot's unpaid holds ran out and count no more")
                .filteredOn(h -> h.outcome() == HoldOutcome.HELD).hasSize(4);
        assertThat(shop.seats(EVENT)).isEqualTo(new Availability(EVENT, 20, 4, 4));
    }

    @Test
    void sweepExpiredHolds_endsOnlyExpiredHoldsAndChangesNoAnswer() {
        TicketCheckout shop = shop(StrategyKind.CONDITIONAL_UPDATE, 3);
        shop.pay(shop.hold(cart("ada")), PRICE);
        shop.hold(cart("bob"));
        shop.hold(cart("cy"));
        assertThat(shop.sweepExpiredHolds()).as("before expiry").isZero();

        clock.moveBy(HOLD_TIME);
        Availability before = shop.seats(EVENT);

        assertThat(shop.sweepExpiredHolds()).isEqualTo(2);
        assertThat(shop.sweepExpiredHolds()).isZero();
        assertThat(shop.seats(EVENT)).isEqualTo(before).isEqualTo(new Availability(EVENT, 3, 1, 0));
    }

    static final int RACE_SEATS = 10;
    static final int RACE_BUYERS = 40;
    static final int PAYER_WHO_SEES_THE_JUMP = 3;

    /**
     * 40 buyers press "hold" at once for 10 seats; then, at once, half the holders pay and half
     * abandon, the clock jumps past every hold when the third payer presses "pay", and the 30
     * refused buyers try again with new carts; again half of those who get a seat pay for it.
     * Payments race the expiry and new holds race the payments. Whatever the interleaving, no seat
     * is sold twice, every order is paid, every refused payment is voided, and once the holds have
     * run out every seat can be sold.
     */
    @ParameterizedTest
    @EnumSource(value = StrategyKind.class, names = {"OPTIMISTIC_VERSION", "PESSIMISTIC_LOCK", "CONDITIONAL_UPDATE",
            "UNIQUE_SLOTS"})
    void checkout_manyBuyersForFewSeatsSomeAbandoning_neverOversells(StrategyKind kind) {
        TicketCheckout shop = shop(kind, RACE_SEATS);
        List<Hold> first = Crowd.atOnce(RACE_BUYERS, i -> holdPatiently(shop, cart("buyer-" + i)));
        List<Hold> held = first.stream().filter(h -> h.outcome() == HoldOutcome.HELD).toList();
        List<Hold> refused = first.stream().filter(h -> h.outcome() == HoldOutcome.SOLD_OUT).toList();
        assertThat(held).hasSize(RACE_SEATS);
        assertThat(refused).hasSize(RACE_BUYERS - RACE_SEATS);

        // 0..9: the holders; the even ones pay, and the third to press "pay" first moves the clock
        // past every hold. Then the refused, who try again; the even ones pay if they get a seat.
        AtomicInteger payersPressed = new AtomicInteger();
        List<PayOutcome> paid = Crowd.atOnce(held.size() + refused.size(), i -> {
            if (i < held.size()) {
                if (i % 2 == 1) {
                    return null;
                }
                if (payersPressed.incrementAndGet() == PAYER_WHO_SEES_THE_JUMP) {
                    clock.moveBy(HOLD_TIME);
                }
                return shop.pay(held.get(i), PRICE);
            }
            Cart refusedCart = refused.get(i - held.size()).cart();
            Hold again = holdPatiently(shop, new Cart(refusedCart.id() + "-again", EVENT, refusedCart.buyer()));
            return again.outcome() == HoldOutcome.HELD && i % 2 == 0 ? shop.pay(again, PRICE) : null;
        });

        long orders = paid.stream().filter(p -> p == PayOutcome.PAID).count();
        long ranOut = paid.stream().filter(p -> p == PayOutcome.HOLD_RAN_OUT).count();
        Availability seats = shop.seats(EVENT);
        String race = kind + ": " + orders + " paid, " + ranOut + " ran out, " + seats;
        assertThat(orders).as(race).isLessThanOrEqualTo(RACE_SEATS);
        assertThat(shop.orders(EVENT)).as(race).isEqualTo(orders);
        assertThat(seats.reserved() - seats.held()).as("confirmed seats are the orders; " + race).isEqualTo(orders);
        assertThat(seats.reserved()).as(race).isLessThanOrEqualTo(RACE_SEATS);
        assertThat(paid).as(race).doesNotContain(PayOutcome.ALREADY_PAID);
        assertThat(cards.count("captured")).as(race).isEqualTo(orders);
        assertThat(cards.count("voided")).as(race).isEqualTo(ranOut);
        assertThat(cards.dangling()).as(race).isZero();

        // every hold left has run out by now: the seats nobody paid for are all for sale again
        clock.moveBy(HOLD_TIME);
        List<Hold> late = new ArrayList<>();
        Hold next;
        while ((next = holdPatiently(shop, cart("late-" + late.size()))).outcome() == HoldOutcome.HELD) {
            assertThat(shop.pay(next, PRICE)).as(race).isEqualTo(PayOutcome.PAID);
            late.add(next);
        }
        assertThat(late).as(race).hasSize((int) (RACE_SEATS - orders));
        assertThat(shop.orders(EVENT)).as(race).isEqualTo(RACE_SEATS);
        assertThat(shop.seats(EVENT)).as(race).isEqualTo(new Availability(EVENT, RACE_SEATS, RACE_SEATS, 0));
    }

    private static Hold holdPatiently(TicketCheckout shop, Cart cart) {
        Hold hold;
        do {
            hold = shop.hold(cart);
        } while (hold.outcome() == HoldOutcome.TRY_AGAIN);
        return hold;
    }

    @Test
    void main_printsTheStoryOfAPaidSeatAnAbandonedCartAndALatePayment() {
        String output = Printed.byMain(TicketCheckout::main);

        assertThat(output).contains("StrategyOptions.builder().clock(...)",
                "19:30  ada  double-clicks \"hold\": both clicks get the same hold, one seat, until 19:40",
                "19:30  ada  opens a second cart for a friend: LIMIT_REACHED (one seat per buyer, held or paid)",
                "19:32  dee  presses \"hold\": SOLD_OUT (0 sold, 3 on hold, 0 available)",
                "19:35  ada  pays: PAID.",
                "19:39  dee  presses \"hold\" again: SOLD_OUT",
                "19:40       bob's hold has run out; no job has run: 1 sold, 1 on hold, 1 available",
                "19:40  dee  presses \"hold\" again: HELD until 19:50",
                "19:42  bob  comes back and pays: HOLD_RAN_OUT.", "charged $0.00",
                "sweepExpiredHolds(): ended 1 expired hold",
                "orders: 2, cards charged: 2, authorizations voided: 1, seats still for sale: 1");
    }
}
