package dev.capacity.examples;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A flash sale: 100 pairs of a limited sneaker, buyers who want 1 to 4 pairs each, and buyers who
 * double-click "buy", which sends the same order twice at the same moment.
 *
 * <p>Each click carries an idempotency key, the order number the checkout page generated, so a
 * double submit buys once: the second click is answered with the first click's reservation. The
 * order row is written in the same transaction as the reservation (through the caller's
 * {@code Handle}), so there is never an order without stock, nor stock sold without an order.
 *
 * <p>Run it: {@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=dev.capacity.examples.FlashSale}.
 *
 * <p>This class is threadsafe.
 */
public final class FlashSale {

    /** What a click came to. */
    public enum Outcome { BOUGHT, ALREADY_BOUGHT, SOLD_OUT, TRY_AGAIN }

    private final Jdbi jdbi;
    private final JdbiReservationStrategy stock;

    public FlashSale(Jdbi jdbi, JdbiReservationStrategy stock) {
        this.jdbi = jdbi;
        this.stock = stock;
    }

    public void createTables() {
        jdbi.useHandle(h -> h.execute("CREATE TABLE IF NOT EXISTS sneaker_order (order_no VARCHAR(64) PRIMARY KEY,"
                + " buyer VARCHAR(64) NOT NULL, sku VARCHAR(64) NOT NULL, pairs INTEGER NOT NULL, reservation_id BIGINT NOT NULL)"));
    }

    /** Puts {@code units} of a product on sale. */
    public void list(String sku, int units) {
        stock.define(sku, units);
    }

    /**
     * One click on "buy": reserves the pairs and writes the order in one transaction. A repeated
     * click with the same order number is answered without buying again.
     */
    public Outcome buy(String sku, String buyer, int pairs, String orderNo) {
        return jdbi.inTransaction(h -> {
            ReservationResult result = stock.reserve(h,
                    ReservationRequest.of(sku, buyer).withQuantity(pairs).withIdempotencyKey(orderNo));
            switch (result.status()) {
                case RESERVED:
                    h.createUpdate("INSERT INTO sneaker_order (order_no, buyer, sku, pairs, reservation_id)"
                                    + " VALUES (:order, :buyer, :sku, :pairs, :reservation)")
                            .bind("order", orderNo).bind("buyer", buyer).bind("sku", sku).bind("pairs", pairs)
                            .bind("reservation", result.reservation().id()).execute();
                    return Outcome.BOUGHT;
                case REPLAYED:
                    return Outcome.ALREADY_BOUGHT;
                case INSUFFICIENT_CAPACITY:
                    return Outcome.SOLD_OUT;
                case CONTENDED:
                    return Outcome.TRY_AGAIN;
                default:
                    throw new IllegalStateException("order " + orderNo + ": " + result.status());
            }
        });
    }

    /** Pairs on the orders of a product. */
    public long pairsOrdered(String sku) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COALESCE(SUM(pairs), 0) FROM sneaker_order WHERE sku = :sku")
                .bind("sku", sku).mapTo(Long.class).one());
    }

    public long orders(String sku) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM sneaker_order WHERE sku = :sku")
                .bind("sku", sku).mapTo(Long.class).one());
    }

    public long pairsLeft(String sku) {
        return stock.availability(sku).orElseThrow().available();
    }

    // ---- the demo

    static final int PAIRS = 100;
    static final int BUYERS = 60;

    /** A click: who, how many pairs, which order number. */
    record Click(String buyer, int pairs, String orderNo) {}

    /** 60 buyers, 1 to 4 pairs each, every fourth one double-clicking: 75 clicks in all. */
    static List<Click> clicks(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Click> clicks = new ArrayList<>();
        for (int b = 0; b < BUYERS; b++) {
            Click click = new Click("buyer-" + b, 1 + random.nextInt(4), "order-" + seed + "-" + b);
            clicks.add(click);
            if (b % 4 == 0) {
                clicks.add(click);
            }
        }
        return clicks;
    }

    /** Sends every click at once; the outcomes in the order of the clicks. */
    static List<Outcome> rush(FlashSale sale, String sku, List<Click> clicks) {
        return Crowd.atOnce(clicks.size(), i -> {
            Click click = clicks.get(i);
            Outcome outcome;
            do {
                outcome = sale.buy(sku, click.buyer(), click.pairs(), click.orderNo());
            } while (outcome == Outcome.TRY_AGAIN);
            return outcome;
        });
    }

    public static void main(String[] args) {
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:flash-sale;DB_CLOSE_DELAY=-1", "sa", "", 80)) {
            CapacitySchema.install(pool.jdbi());
            FlashSale sale = new FlashSale(pool.jdbi(), JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi()));
            sale.createTables();
            sale.list("air-max-limited", PAIRS);
            List<Click> clicks = clicks(42);

            List<Outcome> outcomes = rush(sale, "air-max-limited", clicks);

            System.out.printf("%d pairs on sale; %d buyers send %d clicks at once (every fourth buyer double-clicks).%n%n",
                    PAIRS, BUYERS, clicks.size());
            for (Outcome outcome : List.of(Outcome.BOUGHT, Outcome.ALREADY_BOUGHT, Outcome.SOLD_OUT)) {
                System.out.printf("  %-15s %3d clicks%n", outcome, outcomes.stream().filter(o -> o == outcome).count());
            }
            long left = sale.pairsLeft("air-max-limited");
            System.out.printf("%n  orders: %d, pairs on them: %d, %s%n", sale.orders("air-max-limited"),
                    sale.pairsOrdered("air-max-limited"), left == 0 ? "sold out"
                            : left + " pairs left, fewer than any refused buyer asked for");
            System.out.println("  every double click bought once; every sold pair is on an order, and no order lacks its pairs.");
        }
    }
}
