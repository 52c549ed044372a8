package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationStrategy;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLLL_Result;

/**
 * THE NEGATIVE CONTROL for {@link InMemory_17_CrossingOrders}: the same two crossing orders, each
 * made of single reserves line by line, releasing what it got when a later line is refused
 * ({@link NaiveOrderStrategy} over the in-memory strategy, itself sound). jcstress must observe
 * both orders refused with A and B free; {@link JcstressGate} fails the build if it does not.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_11}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT, 1, 1", expect = ACCEPTABLE, desc = "the order over A then B came first")
@Outcome(id = "INSUFFICIENT, RESERVED, 1, 1", expect = ACCEPTABLE, desc = "the order over B then A came first")
@Outcome(id = "INSUFFICIENT, INSUFFICIENT, 0, 0", expect = FORBIDDEN, desc = "undersold: each took one resource, both gave up")
@Outcome(id = {".*, 1, 0", ".*, 0, 1"}, expect = FORBIDDEN, desc = "half an order left behind")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "oversold: both orders granted")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class NegativeControl_11_NaiveCrossingOrders {

    private final ReservationStrategy strategy =
            InMemory_17_CrossingOrders.crossing(new NaiveOrderStrategy(new InMemoryStrategy()));

    @Actor
    public void aThenB(LLLL_Result r) {
        r.r1 = Outcomes.order(strategy, InMemory_17_CrossingOrders.A_THEN_B);
    }

    @Actor
    public void bThenA(LLLL_Result r) {
        r.r2 = Outcomes.order(strategy, InMemory_17_CrossingOrders.B_THEN_A);
    }

    @Arbiter
    public void count(LLLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "A");
        r.r4 = Outcomes.reserved(strategy, "B");
    }
}
