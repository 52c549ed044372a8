package dev.capacity.examples;

import static org.assertj.core.api.Assertions.assertThat;

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
            JdbiReservationStrategy stock = JdbiStrategies.of(StrategyKind.COMBINING, pool.jdbi(), StrategyOptions.builder()
                    .listener(new MicrometerListener(registry)).clock(clock.withZone(ZoneOffset.UTC)).build());

            MeteredSale.sell(stock, clock);

            // 40 carts of 3 on 100 units: 33 held, 7 refused; 9 of the 33 (every fourth buyer's) are left to expire
            double held = registry.get("capacity.reserve").tags("strategy", "combining", "outcome", "reserved").timer().count();
            double refused = registry.get("capacity.reserve").tags("outcome", "insufficient_capacity").timer().count();
            double confirmed = registry.get("capacity.holds").tags("outcome", "confirmed").counter().count();
            double expired = registry.get("capacity.holds").tags("outcome", "expired").counter().count();
            assertThat(held + refused).isEqualTo(MeteredSale.FIRST_CROWD + MeteredSale.SECOND_CROWD);
            // the late crowd bought the units the first left: the abandoned holds' and the 1 never held
            long lateBuyers = (long) held - (long) (confirmed + expired);
            assertThat(lateBuyers).isEqualTo(Math.min(MeteredSale.SECOND_CROWD, 1 + (long) expired * MeteredSale.PER_CART));
            assertThat(confirmed + expired).isEqualTo(MeteredSale.STOCK / MeteredSale.PER_CART);
            assertThat(expired).isPositive();
            assertThat(registry.get("capacity.combining.batch.size").summary().totalAmount())
                    .as("every request ran in some batch").isEqualTo(held + refused);
        }
    }

    @Test
    void main_printsTheMeters() {
        String printed = Printed.byMain(MeteredSale::main);

        assertThat(printed).contains("capacity.reserve", "outcome=reserved", "outcome=insufficient_capacity",
                "capacity.holds", "outcome=confirmed", "outcome=expired", "capacity.combining.batch.size");
    }
}
