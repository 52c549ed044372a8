package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.OrderResult;
import dev.capacity.ReservationStrategy;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLLLL_Result;

/**
 * THE NEGATIVE CONTROL for {@link InMemory_19_SameKeyedOrderTwoCallers}: the same double submit,
 * each order made of keyed single reserves line by line ({@link NaiveOrderStrategy} over the
 * in-memory strategy). The keys keep the counts right, but each caller can make one line and
 * replay the other: jcstress must observe both told RESERVED; {@link JcstressGate} fails the
 * build if it does not.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_12}.
 */
@JCStressTest
@Outcome(id = "RESERVED, REPLAYED, 1, 1, same", expect = ACCEPTABLE, desc = "the first made it, the second replayed it")
@Outcome(id = "REPLAYED, RESERVED, 1, 1, same", expect = ACCEPTABLE, desc = "the second made it, the first replayed it")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "both told they made the order (each made half of it)")
@Outcome(id = ".*, [02], .*", expect = FORBIDDEN, desc = "a line reserved twice, or not at all")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class NegativeControl_12_NaiveSameKeyedOrderTwoCallers {

    private final ReservationStrategy strategy =
            InMemory_19_SameKeyedOrderTwoCallers.roomy(new NaiveOrderStrategy(new InMemoryStrategy()));
    private OrderResult first;
    private OrderResult second;

    @Actor
    public void first(LLLLL_Result r) {
        first = Outcomes.orderResult(strategy, InMemory_19_SameKeyedOrderTwoCallers.A_THEN_B);
        r.r1 = Outcomes.word(first);
    }

    @Actor
    public void second(LLLLL_Result r) {
        second = Outcomes.orderResult(strategy, InMemory_19_SameKeyedOrderTwoCallers.B_THEN_A);
        r.r2 = Outcomes.word(second);
    }

    @Arbiter
    public void count(LLLLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "A");
        r.r4 = Outcomes.reserved(strategy, "B");
        r.r5 = InMemory_19_SameKeyedOrderTwoCallers.same(first, second);
    }
}
