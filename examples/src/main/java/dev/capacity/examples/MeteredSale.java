package dev.capacity.examples;

import dev.capacity.ReservationListener;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.metrics.MicrometerListener;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A flash sale watched through Micrometer: what operators see when a sale sells out. The strategy
 * gets a {@link MicrometerListener} on the application's {@link MeterRegistry} (here a
 * {@link SimpleMeterRegistry}; in production the registry that Prometheus or another backend
 * reads), and from then on every reserve call is timed by outcome, and every hold that ends is
 * counted by how it ended:
 *
 * <pre>{@code
 * StrategyOptions options = StrategyOptions.builder().listener(new MicrometerListener(registry)).build();
 * JdbiReservationStrategy stock = JdbiStrategies.of(StrategyKind.COMBINING, jdbi, options);
 * }</pre>
 *
 * <p>Beside the meters the shop reacts to stock itself: {@link ReservationListener#all} gives
 * every event to the meters and to the shop's own listener, which closes the sale page on
 * {@link ReservationListener#onSoldOut} and mails the waiting list on
 * {@link ReservationListener#onBackInStock}; both are told after the commit that caused them.
 *
 * <p>The story: 100 units, 40 buyers at once, each holding 4 for ten minutes: the drop sells out.
 * Every fourth cart is left unpaid. Ten minutes later a second crowd of 30 buys what the abandoned
 * carts gave back and sells the drop out again. The meters then show the refusals ({@code
 * insufficient_capacity}), the holds confirmed and expired, and the combining strategy's batches.
 *
 * <p>Run it: {@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=dev.capacity.examples.MeteredSale}.
 */
public final class MeteredSale {

    static final int STOCK = 100;
    static final int FIRST_CROWD = 40;
    static final int SECOND_CROWD = 30;
    static final int PER_CART = 4;
    static final Duration HOLD_TIME = Duration.ofMinutes(10);

    private MeteredSale() {}

    /** Runs the story on {@code stock} (a strategy whose listener feeds {@code registry}), moving {@code clock}. */
    static void sell(JdbiReservationStrategy stock, TicketCheckout.ShopClock clock) {
        stock.define("sneaker-drop", STOCK);
        List<ReservationResult> carts = Crowd.atOnce(FIRST_CROWD, i -> stock.reserve(
                ReservationRequest.of("sneaker-drop", "buyer-" + i).withQuantity(PER_CART).withHold(HOLD_TIME)));
        List<ReservationResult> held = carts.stream().filter(ReservationResult::isReserved).toList();
        for (int i = 0; i < held.size(); i++) {
            if (i % 4 != 3) {
                stock.confirm(held.get(i).reservation().id());    // paid; every fourth cart is left
            }
        }
        clock.moveBy(HOLD_TIME.plusMinutes(1));                  // the abandoned carts' holds run out
        Crowd.atOnce(SECOND_CROWD, i -> stock.reserve(ReservationRequest.of("sneaker-drop", "late-" + i)));
    }

    /** The registry's meters, one line each, sorted by name and tags. */
    static String report(MeterRegistry registry) {
        StringBuilder out = new StringBuilder();
        registry.getMeters().stream()
                .sorted(Comparator.comparing((Meter m) -> m.getId().getName()).thenComparing(m -> m.getId().getTags().toString()))
                .forEach(meter -> {
                    String tags = meter.getId().getTags().stream().map(t -> t.getKey() + "=" + t.getValue())
                            .reduce((a, b) -> a + ", " + b).orElse("");
                    String value;
                    if (meter instanceof Timer timer) {
                        value = String.format(Locale.ROOT, "%d calls, mean %.2f ms", timer.count(), timer.mean(TimeUnit.MILLISECONDS));
                    } else if (meter instanceof DistributionSummary summary) {
                        value = String.format(Locale.ROOT, "%d batches, mean %.1f, max %.0f", summary.count(), summary.mean(),
                                summary.max());
                    } else {
                        value = String.format(Locale.ROOT, "%.0f", meter.measure().iterator().next().getValue());
                    }
                    out.append(String.format(Locale.ROOT, "  %-30s %-62s %s%n", meter.getId().getName(), "{" + tags + "}", value));
                });
        return out.toString();
    }

    /** The shop's own reactions to stock: a sale page closed, a waiting list mailed. */
    static final class SalePage implements ReservationListener {
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger reopened = new AtomicInteger();

        @Override
        public void onSoldOut(String strategy, String resourceId) {
            closed.incrementAndGet();
            System.out.println("  " + resourceId + " sold out: the sale page says so");
        }

        @Override
        public void onBackInStock(String strategy, String resourceId) {
            reopened.incrementAndGet();
            System.out.println("  " + resourceId + " back in stock: the waiting list gets its mail");
        }
    }

    public static void main(String[] args) {
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:metered-sale;DB_CLOSE_DELAY=-1", "sa", "", 50)) {
            CapacitySchema.install(pool.jdbi());
            MeterRegistry registry = new SimpleMeterRegistry();
            TicketCheckout.ShopClock clock = new TicketCheckout.ShopClock(Instant.parse("2026-12-01T10:00:00Z"));
            System.out.printf("%d units; %d buyers hold %d each at once, every fourth cart is left unpaid; ten minutes"
                    + " later %d more buy one each.%n%n", STOCK, FIRST_CROWD, PER_CART, SECOND_CROWD);
            JdbiReservationStrategy stock = JdbiStrategies.of(StrategyKind.COMBINING, pool.jdbi(), StrategyOptions.builder()
                    .listener(ReservationListener.all(new MicrometerListener(registry), new SalePage()))
                    .clock(clock.withZone(ZoneOffset.UTC))
                    .build());
            sell(stock, clock);
            System.out.println();
            System.out.print(report(registry));
            System.out.printf("%n  left: %d of %d%n", stock.availability("sneaker-drop").orElseThrow().available(), STOCK);
        }
    }
}
