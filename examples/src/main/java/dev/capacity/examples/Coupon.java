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
 * press "apply" and from however many tabs; a user whose order is cancelled may use it again.
 *
 * <p>"One per user" is a limit of one unit per holder ({@link ReservationStrategy#limitPerHolder}):
 * a user's second press while the first redemption stands is {@code HOLDER_LIMIT_REACHED}, however
 * many presses arrive at once (once every use is gone, everyone hears ALL_GONE: the capacity
 * answers first). A limit reads better here than an idempotency key per (code, user):
 * a key is kept forever, so a cancelled order would leave the user's coupon used up, while a
 * released redemption stops counting against the limit. The coupon runs on unique-slots: each
 * redemption is a row under a unique key, and many users redeeming at once do not queue behind one
 * counter row.
 *
 * <p>Run it: {@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=dev.capacity.examples.Coupon}.
 *
 * <p>This class is threadsafe.
 */
public final class Coupon {

    /** What pressing "apply" came to. */
    public enum Outcome { REDEEMED, ALREADY_REDEEMED, ALL_GONE, TRY_AGAIN }

    /** What pressing "apply" came to, and the redemption's id when it is {@code REDEEMED} (otherwise 0). */
    public record Redemption(Outcome outcome, long id) {}

    private final ReservationStrategy redemptions;

    public Coupon(ReservationStrategy redemptions) {
        this.redemptions = redemptions;
    }

    /** Issues a code good for {@code uses} redemptions, one per user at a time. */
    public void issue(String code, int uses) {
        redemptions.define(resource(code), uses);
        redemptions.limitPerHolder(resource(code), 1);
    }

    public Redemption redeem(String code, String user) {
        ReservationResult result = redemptions.reserve(ReservationRequest.of(resource(code), user));
        switch (result.status()) {
            case RESERVED:
                return new Redemption(Outcome.REDEEMED, result.reservation().id());
            case HOLDER_LIMIT_REACHED:
                return new Redemption(Outcome.ALREADY_REDEEMED, 0);
            case INSUFFICIENT_CAPACITY:
                return new Redemption(Outcome.ALL_GONE, 0);
            case CONTENDED:
                return new Redemption(Outcome.TRY_AGAIN, 0);
            default:
                throw new IllegalStateException("coupon " + code + ", user " + user + ": " + result.status());
        }
    }

    /** The order that used a redemption was cancelled: the use comes back, and the user may redeem again. */
    public boolean cancel(Redemption redemption) {
        return redemption.outcome() == Outcome.REDEEMED && redemptions.release(redemption.id());
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

    static List<Redemption> rush(Coupon coupon, String code, List<String> presses) {
        return Crowd.atOnce(presses.size(), i -> {
            Redemption redemption;
            do {
                redemption = coupon.redeem(code, presses.get(i));
            } while (redemption.outcome() == Outcome.TRY_AGAIN);
            return redemption;
        });
    }

    public static void main(String[] args) {
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:coupons;DB_CLOSE_DELAY=-1", "sa", "", 40)) {
            CapacitySchema.install(pool.jdbi());
            Coupon coupon = new Coupon(JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, pool.jdbi()));
            coupon.issue("SPRING25", USES);
            List<String> presses = presses();

            List<Redemption> redemptions = rush(coupon, "SPRING25", presses);

            System.out.printf("SPRING25 is good for %d redemptions; %d users press \"apply\" %d times at once.%n%n",
                    USES, USERS, presses.size());
            for (Outcome outcome : List.of(Outcome.REDEEMED, Outcome.ALREADY_REDEEMED, Outcome.ALL_GONE)) {
                System.out.printf("  %-17s %3d presses%n", outcome,
                        redemptions.stream().filter(r -> r.outcome() == outcome).count());
            }
            System.out.printf("%n  redeemed: %d of %d, each by a different user%n", coupon.redeemed("SPRING25"), USES);
            int first = 0;
            while (redemptions.get(first).outcome() != Outcome.REDEEMED) {
                first++;
            }
            String user = presses.get(first);
            coupon.cancel(redemptions.get(first));
            System.out.printf("  %s's order is cancelled: the use comes back, and %s may redeem again: %s%n", user, user,
                    coupon.redeem("SPRING25", user).outcome());
        }
    }
}
