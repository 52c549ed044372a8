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
 * THE NEGATIVE CONTROL for {@link InMemory_20_DoomedOrderInTheWay}: the same race, each order made
 * of single reserves line by line ({@link NaiveOrderStrategy} over the in-memory strategy). The
 * doomed order takes A, finds B full and gives A back, and the order for A alone can come in
 * between: jcstress must observe it refused; {@link JcstressGate} fails the build if it does not.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_13}.
 */
@JCStressTest
@Outcome(id = "INSUFFICIENT line 1, RESERVED, 1, 1", expect = ACCEPTABLE, desc = "the doomed order came first: refused for B; the other granted A")
@Outcome(id = "INSUFFICIENT line 0, RESERVED, 1, 1", expect = ACCEPTABLE, desc = "the order for A came first; the doomed one found A full")
@Outcome(id = "INSUFFICIENT line ., INSUFFICIENT.*", expect = FORBIDDEN, desc = "undersold: refused for A, held by an order that was refused")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class NegativeControl_13_NaiveDoomedOrderInTheWay {

    private final ReservationStrategy strategy =
            InMemory_20_DoomedOrderInTheWay.doomed(new NaiveOrderStrategy(new InMemoryStrategy()));

    @Actor
    public void doomed(LLLL_Result r) {
        r.r1 = Outcomes.orderAndLine(strategy, InMemory_20_DoomedOrderInTheWay.DOOMED);
    }

    @Actor
    public void aAlone(LLLL_Result r) {
        r.r2 = Outcomes.orderAndLine(strategy, InMemory_20_DoomedOrderInTheWay.A_ALONE);
    }

    @Arbiter
    public void count(LLLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "A");
        r.r4 = Outcomes.reserved(strategy, "B");
    }
}
