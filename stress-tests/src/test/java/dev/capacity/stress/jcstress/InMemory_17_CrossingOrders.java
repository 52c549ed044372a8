package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLLL_Result;

import java.util.List;

/**
 * InMemoryStrategy, two orders crossing: resources A and B have one unit each; one caller orders
 * a unit of A and a unit of B, the other a unit of B and a unit of A, at once. Exactly one order
 * is granted, whole; the other is refused INSUFFICIENT_CAPACITY; A and B count 1 each. Never both
 * refused while the units are free (each took one resource, then gave up), never half an order
 * left behind. {@link NegativeControl_11_NaiveCrossingOrders} is this test on orders made of
 * single reserves, line by line ({@link NaiveOrderStrategy}).
 *
 * <p>Tried on purpose (2026-11-30, 2 cores, the default quick mode: two JVM configurations, 2 x
 * 100 ms each): with the parts installed in line order instead of resource id order
 * ({@code InMemoryStrategy.Order} grouping lines in a LinkedHashMap, not a TreeMap), each order
 * helps the other, which helps the first, round and round until the stack overflows: this test
 * saw ERROR, ERROR, ERROR, ERROR 143 times in 190,835 samples and 923 times in 488,030 (before
 * Outcomes caught stack overflows, the overflow in the arbiter failed the run's check test).
 * Refusing an order that finds another order's part in its way, instead of helping it, passes
 * here: at one unit each the order in the way always wins, so giving up looks like losing.
 * {@link InMemory_20_DoomedOrderInTheWay} catches that.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_17}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT, 1, 1", expect = ACCEPTABLE, desc = "the order over A then B came first")
@Outcome(id = "INSUFFICIENT, RESERVED, 1, 1", expect = ACCEPTABLE, desc = "the order over B then A came first")
@Outcome(id = "INSUFFICIENT, INSUFFICIENT, 0, 0", expect = FORBIDDEN, desc = "undersold: each took one resource, both gave up")
@Outcome(id = {".*, 1, 0", ".*, 0, 1"}, expect = FORBIDDEN, desc = "half an order left behind")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "oversold: both orders granted")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class InMemory_17_CrossingOrders {

    static final List<ReservationRequest> A_THEN_B = List.of(ReservationRequest.of("A", "ada"), ReservationRequest.of("B", "ada"));
    static final List<ReservationRequest> B_THEN_A = List.of(ReservationRequest.of("B", "bob"), ReservationRequest.of("A", "bob"));

    private final ReservationStrategy strategy = crossing(new InMemoryStrategy());

    /** The resources the test races on: A and B, one unit each. */
    static ReservationStrategy crossing(ReservationStrategy strategy) {
        strategy.define("A", 1);
        strategy.define("B", 1);
        return strategy;
    }

    @Actor
    public void aThenB(LLLL_Result r) {
        r.r1 = Outcomes.order(strategy, A_THEN_B);
    }

    @Actor
    public void bThenA(LLLL_Result r) {
        r.r2 = Outcomes.order(strategy, B_THEN_A);
    }

    @Arbiter
    public void count(LLLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "A");
        r.r4 = Outcomes.reserved(strategy, "B");
    }
}
