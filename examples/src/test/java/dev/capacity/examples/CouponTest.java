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

import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

        List<Coupon.Redemption> redemptions = Coupon.rush(coupon, code, presses);

        Map<String, Coupon.Redemption> redeemers = new HashMap<>();
        for (int i = 0; i < presses.size(); i++) {
            if (redemptions.get(i).outcome() == Coupon.Outcome.REDEEMED) {
                assertThat(redeemers.put(presses.get(i), redemptions.get(i))).as("redeemed twice by %s", presses.get(i))
                        .isNull();
            }
        }
        assertThat(redeemers).hasSize(Coupon.USES);
        assertThat(coupon.redeemed(code)).isEqualTo(Coupon.USES);
        assertThat(redemptions).extracting(Coupon.Redemption::outcome).contains(Coupon.Outcome.ALL_GONE);
        String user = redeemers.keySet().iterator().next();
        // all used up: the capacity answers first, as for anyone
        assertThat(coupon.redeem(code, user).outcome()).isEqualTo(Coupon.Outcome.ALL_GONE);

        // the user's order is cancelled: the use comes back once, and the user may redeem again, once
        assertThat(coupon.cancel(redeemers.get(user))).isTrue();
        assertThat(coupon.cancel(redeemers.get(user))).isFalse();
        coupon.issue(code + "-more", 2);
        assertThat(coupon.redeem(code, user).outcome()).isEqualTo(Coupon.Outcome.REDEEMED);
        assertThat(coupon.redeem(code + "-more", user).outcome()).isEqualTo(Coupon.Outcome.REDEEMED);
        assertThat(coupon.redeem(code + "-more", user).outcome()).as("one use left, not for this user")
                .isEqualTo(Coupon.Outcome.ALREADY_REDEEMED);
        assertThat(coupon.redeemed(code)).isEqualTo(Coupon.USES);
    }
}
