package dev.capacity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

final class CouponTest {

    private static CapacityPool pool;

    @BeforeAll
    static void open() {
        pool = CapacityPool.open("jdbc:h2:mem:coupon-test;DB_CLOSE_DELAY=-1", "sa", "", 60);
        CapacitySchema.install(pool.jdbi());
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    @ParameterizedTest
    @EnumSource(value = StrategyKind.class, names = {"CONDITIONAL_UPDATE", "UNIQUE_SLOTS", "IN_MEMORY"})
    void rush_ofUsersPressingSeveralTimes_redeemsEachUserOnceUpToTheLimit(StrategyKind kind) {
        Coupon coupon = new Coupon(kind == StrategyKind.IN_MEMORY ? new dev.capacity.InMemoryStrategy()
                : JdbiStrategies.of(kind, pool.jdbi()));
        String code = "CODE" + kind.ordinal();
        coupon.issue(code, Coupon.USES);
        List<String> presses = Coupon.presses();

        List<Coupon.Outcome> outcomes = Coupon.rush(coupon, code, presses);

        Set<String> redeemers = new HashSet<>();
        for (int i = 0; i < presses.size(); i++) {
            if (outcomes.get(i) == Coupon.Outcome.REDEEMED) {
                assertThat(redeemers.add(presses.get(i))).as("redeemed twice by %s", presses.get(i)).isTrue();
            }
        }
        assertThat(redeemers).hasSize(Coupon.USES);
        assertThat(coupon.redeemed(code)).isEqualTo(Coupon.USES);
        assertThat(outcomes).contains(Coupon.Outcome.ALL_GONE);
        assertThat(coupon.redeem(code, redeemers.iterator().next())).isEqualTo(Coupon.Outcome.ALREADY_REDEEMED);
    }
}
