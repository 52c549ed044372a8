package dev.capacity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

final class FlashSaleTest {

    private static CapacityPool pool;

    @BeforeAll
    static void open() {
        pool = CapacityPool.open("jdbc:h2:mem:flash-sale-test;DB_CLOSE_DELAY=-1", "sa", "", 90);
        CapacitySchema.install(pool.jdbi());
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    private static FlashSale sale(StrategyKind kind) {
        FlashSale sale = new FlashSale(pool.jdbi(), JdbiStrategies.of(kind, pool.jdbi()));
        sale.createTables();
        return sale;
    }

    @ParameterizedTest
    @EnumSource(value = StrategyKind.class, names = {"OPTIMISTIC_VERSION", "PESSIMISTIC_LOCK", "CONDITIONAL_UPDATE",
            "UNIQUE_SLOTS"})
    void rush_withDoubleClicks_sellsEachOrderOnceAndNeverMoreThanTheStock(StrategyKind kind) {
        FlashSale sale = sale(kind);
        String sku = "sku-" + kind;
        sale.list(sku, FlashSale.PAIRS);
        List<FlashSale.Click> clicks = FlashSale.clicks(kind.ordinal());

        List<FlashSale.Outcome> outcomes = FlashSale.rush(sale, sku, clicks);

        Set<String> orders = new HashSet<>();
        long boughtPairs = 0;
        for (int i = 0; i < clicks.size(); i++) {
            if (outcomes.get(i) == FlashSale.Outcome.BOUGHT) {
                assertThat(orders.add(clicks.get(i).orderNo())).as("order bought twice").isTrue();
                boughtPairs += clicks.get(i).pairs();
            }
        }
        assertThat(boughtPairs).isLessThanOrEqualTo(FlashSale.PAIRS);
        assertThat(sale.pairsOrdered(sku)).isEqualTo(boughtPairs);
        assertThat(sale.orders(sku)).isEqualTo(orders.size());
        assertThat(sale.pairsLeft(sku)).isEqualTo(FlashSale.PAIRS - boughtPairs);
        // 60 buyers want about 150 pairs: the stock sells out, and what is left is less than any refused order
        assertThat(outcomes).contains(FlashSale.Outcome.SOLD_OUT);
        for (int i = 0; i < clicks.size(); i++) {
            if (outcomes.get(i) == FlashSale.Outcome.SOLD_OUT) {
                assertThat(sale.pairsLeft(sku)).isLessThan(clicks.get(i).pairs());
            }
        }
    }

    @Test
    void buy_sameOrderTwice_buysOnce() {
        FlashSale sale = sale(StrategyKind.CONDITIONAL_UPDATE);
        sale.list("sku-twice", 10);

        assertThat(sale.buy("sku-twice", "ada", 3, "order-1")).isEqualTo(FlashSale.Outcome.BOUGHT);
        assertThat(sale.buy("sku-twice", "ada", 3, "order-1")).isEqualTo(FlashSale.Outcome.ALREADY_BOUGHT);

        assertThat(sale.pairsLeft("sku-twice")).isEqualTo(7);
        assertThat(sale.orders("sku-twice")).isEqualTo(1);
    }
}
