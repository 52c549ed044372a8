package dev.capacity.examples;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import java.util.ArrayList;
import java.util.List;

/**
 * A coupon code good for the first 100 redemptions, each user at most once, however often they
 * press "apply" and from however many tabs.
 *
 * <p>The idempotency key is the pair (code, user), so a user's second redemption is not a second
 * redemption: it is answered with the first one ({@code REPLAYED}). A key is kept forever, which is
 * exactly "at most once per user". The coupon runs on unique-slots: each redemption is a row under
 * a unique key, and many users redeeming at once do not queue behind one counter row.
 *
 * <p>Run it: {@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=dev.capacity.examples.Coupon}.
 *
 * <p>This class is threadsafe.
 */
public final class Coupon {

    /** What pressing "apply" came to. */
    public enum Outcome { REDEEMED, ALREADY_REDEEMED, ALL_GONE, TRY_AGAIN }

    private final ReservationStrategy redemptions;

    public Coupon(ReservationStrategy redemptions) {
        this.redemptions = redemptions;
    }

    /** Issues a code good for {@code uses} redemptions. */
    public void issue(String code, int uses) {
        redemptions.define(resource(code), uses);
    }

    public Outcome redeem(String code, String user) {
        ReservationResult result = redemptions.reserve(
                ReservationRequest.of(resource(code), user).withIdempotencyKey("coupon:" + code + ":" + user));
        switch (result.status()) {
            case RESERVED:
                return Outcome.REDEEMED;
            case REPLAYED:
                return Outcome.ALREADY_REDEEMED;
            case INSUFFICIENT_CAPACITY:
                return Outcome.ALL_GONE;
            case CONTENDED:
                return Outcome.TRY_AGAIN;
            default:
                throw new IllegalStateException("coupon " + code + ", user " + user + ": " + result.status());
        }
    }

    public long redeemed(String code) {
        return redemptions.availability(resource(code)).orElseThrow().reserved();
    }

    private static String resource(String code) {
        return "coupon-" + code;
    }

    // ---- the demo

    static final int USES = 100;
    static final int USERS = 250;

    /** Every user presses "apply" once; every fifth one twice more, from other tabs. */
    static List<String> presses() {
        List<String> presses = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            presses.add("user-" + u);
            if (u % 5 == 0) {
                presses.add("user-" + u);
                presses.add("user-" + u);
            }
        }
        return presses;
    }

    static List<Outcome> rush(Coupon coupon, String code, List<String> presses) {
        return Crowd.atOnce(presses.size(), i -> {
            Outcome outcome;
            do {
                outcome = coupon.redeem(code, presses.get(i));
            } while (outcome == Outcome.TRY_AGAIN);
            return outcome;
        });
    }

    public static void main(String[] args) {
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:coupons;DB_CLOSE_DELAY=-1", "sa", "", 40)) {
            CapacitySchema.install(pool.jdbi());
            Coupon coupon = new Coupon(JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, pool.jdbi()));
            coupon.issue("SPRING25", USES);
            List<String> presses = presses();

            List<Outcome> outcomes = rush(coupon, "SPRING25", presses);

            System.out.printf("SPRING25 is good for %d redemptions; %d users press \"apply\" %d times at once.%n%n",
                    USES, USERS, presses.size());
            for (Outcome outcome : List.of(Outcome.REDEEMED, Outcome.ALREADY_REDEEMED, Outcome.ALL_GONE)) {
                System.out.printf("  %-17s %3d presses%n", outcome, outcomes.stream().filter(o -> o == outcome).count());
            }
            System.out.printf("%n  redeemed: %d of %d, each by a different user%n", coupon.redeemed("SPRING25"), USES);
        }
    }
}
