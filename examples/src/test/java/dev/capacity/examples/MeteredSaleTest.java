package dev.capacity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationListener;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.metrics.MicrometerListener;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;

final class MeteredSaleTest {

    @Test
    void theMeters_countWhatTheSaleDid() {
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:metered-sale-test;DB_CLOSE_DELAY=-1", "sa", "", 50)) {
            CapacitySchema.install(pool.jdbi());
            MeterRegistry registry = new SimpleMeterRegistry();
            TicketCheckout.ShopClock clock = new TicketCheckout.ShopClock(Instant.parse("2026-12-01T10:00:00Z"));
            MeteredSale.SalePage page = new MeteredSale.SalePage();
            JdbiReservationStrategy stock = JdbiStrategies.of(StrategyKind.COMBINING, pool.jdbi(), StrategyOptions.builder()
                    .listener(ReservationListener.all(new MicrometerListener(registry), page))
                    .clock(clock.withZone(ZoneOffset.UTC)).build());

            MeteredSale.sell(stock, clock);

            // 40 carts of 4 on 100 units: 25 held, 15 refused; 6 of the 25 (every fourth) are left to expire
            double held = registry.get("capacity.reserve").tags("strategy", "combining", "outcome", "reserved").timer().count();
            double refused = registry.get("capacity.reserve").tags("outcome", "insufficient_capacity").timer().count();
            double confirmed = registry.get("capacity.holds").tags("outcome", "confirmed").counter().count();
            double expired = registry.get("capacity.holds").tags("outcome", "expired").counter().count();
            assertThat(held + refused).isEqualTo(MeteredSale.FIRST_CROWD + MeteredSale.SECOND_CROWD);
            // the late crowd bought the units the abandoned holds gave back, and sold the drop out again
            long lateBuyers = (long) held - (long) (confirmed + expired);
            assertThat(expired).isEqualTo(6);
            assertThat(confirmed + expired).isEqualTo(MeteredSale.STOCK / MeteredSale.PER_CART);
            assertThat(lateBuyers).isEqualTo(6 * MeteredSale.PER_CART);
            assertThat(stock.availability("sneaker-drop").orElseThrow().available()).isZero();
            // sold out by the first crowd; whether the late crowd's batches took the returned units in one
            // transaction (telling nothing) or in several (back, then sold out again) is theirs: it ends sold out
            assertThat(page.closed.get()).isPositive();
            assertThat(page.closed.get() - page.reopened.get()).isEqualTo(1);
            assertThat(registry.get("capacity.combining.batch.size").summary().totalAmount())
                    .as("every request ran in some batch").isEqualTo(held + refused);
        }
    }

    @Test
    void main_printsTheMeters() {
        String printed = Printed.byMain(MeteredSale::main);

        assertThat(printed).contains("sneaker-drop sold out", "capacity.reserve", "outcome=reserved", "outcome=insufficient_capacity",
                "capacity.holds", "outcome=confirmed", "outcome=expired", "capacity.combining.batch.size");
    }
}
