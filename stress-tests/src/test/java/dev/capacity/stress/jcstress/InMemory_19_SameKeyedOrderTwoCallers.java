package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLLLL_Result;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * InMemoryStrategy, a keyed order sent twice at once (a double submit), its lines in a different
 * order each time: a unit of A keyed "order-1/A" and a unit of B keyed "order-1/B", on resources
 * with room for both copies. Exactly one caller makes the order (RESERVED); the other gets the
 * same two reservations back (REPLAYED, "same"); A and B count 1 each. Never both told RESERVED,
 * never half an order each. {@link NegativeControl_12_NaiveSameKeyedOrderTwoCallers} is this test
 * on orders made of keyed single reserves, line by line ({@link NaiveOrderStrategy}).
 *
 * <p>Tried on purpose (2026-11-30, 2 cores, quick mode): with keys claimed in line order instead of
 * key order, each caller claims its first key, finds its second claimed by the other order and
 * helps it, which finds its own second key claimed by the first: round and round until the stack
 * overflows. This test saw "ERROR, ERROR, 0, 0, none" 23 times in 87,827 samples and 16 times in
 * 100,856: rare, as a stack overflow takes long and both must claim their first key before either
 * claims its second, but in every run.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_19}.
 */
@JCStressTest
@Outcome(id = "RESERVED, REPLAYED, 1, 1, same", expect = ACCEPTABLE, desc = "the first made it, the second replayed it")
@Outcome(id = "REPLAYED, RESERVED, 1, 1, same", expect = ACCEPTABLE, desc = "the second made it, the first replayed it")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "both told they made the order (each made half of it)")
@Outcome(id = ".*, [02], .*", expect = FORBIDDEN, desc = "a line reserved twice, or not at all")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class InMemory_19_SameKeyedOrderTwoCallers {

    private static final ReservationRequest A = ReservationRequest.of("A", "ada").withIdempotencyKey("order-1/A");
    private static final ReservationRequest B = ReservationRequest.of("B", "ada").withIdempotencyKey("order-1/B");
    static final List<ReservationRequest> A_THEN_B = List.of(A, B);
    static final List<ReservationRequest> B_THEN_A = List.of(B, A);

    private final ReservationStrategy strategy = roomy(new InMemoryStrategy());
    private OrderResult first;
    private OrderResult second;

    /** The resources: A and B, room for both copies of the order. */
    static ReservationStrategy roomy(ReservationStrategy strategy) {
        strategy.define("A", 2);
        strategy.define("B", 2);
        return strategy;
    }

    /** "same" if both callers hold the same reservation for each resource. */
    static String same(OrderResult first, OrderResult second) {
        if (first == null || second == null || !first.isReserved() || !second.isReserved()) {
            return "none";
        }
        return byResource(first).equals(byResource(second)) ? "same" : "other";
    }

    private static Map<String, Long> byResource(OrderResult order) {
        return order.reservations().stream().collect(Collectors.toMap(Reservation::resourceId, Reservation::id));
    }

    @Actor
    public void first(LLLLL_Result r) {
        first = Outcomes.orderResult(strategy, A_THEN_B);
        r.r1 = Outcomes.word(first);
    }

    @Actor
    public void second(LLLLL_Result r) {
        second = Outcomes.orderResult(strategy, B_THEN_A);
        r.r2 = Outcomes.word(second);
    }

    @Arbiter
    public void count(LLLLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "A");
        r.r4 = Outcomes.reserved(strategy, "B");
        r.r5 = same(first, second);
    }
}
