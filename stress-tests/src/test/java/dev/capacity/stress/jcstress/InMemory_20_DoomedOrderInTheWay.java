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
 * InMemoryStrategy, an order in the way that is itself doomed: A has one unit, B none left. One
 * caller orders a unit of A and a unit of B (always refused: B is full, and A too if the other
 * came first), while another orders the unit of A alone (always granted: the first order never
 * takes effect). The
 * first order puts its part on A before it finds B full, so the second can find A taken by an
 * undecided order: it must help that order to its refusal and then take A, never be refused for
 * a unit nobody ends up with. In the other tests the order in the way always wins, so they cannot
 * tell helping from giving up; here giving up undersells.
 *
 * <p>Tried on purpose (2026-11-30, 2 cores, quick mode): with an order that finds another order's
 * part in its way refusing itself (INSUFFICIENT_CAPACITY) instead of helping that order, this test
 * saw "INSUFFICIENT line 1, INSUFFICIENT line 0, 0, 1" 6,853 times in 418,984 samples, while 17,
 * 18 and 19 passed. {@link NegativeControl_13_NaiveDoomedOrderInTheWay} shows the same outcome
 * for orders made of single reserves.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_20}.
 */
@JCStressTest
@Outcome(id = "INSUFFICIENT line 1, RESERVED, 1, 1", expect = ACCEPTABLE, desc = "the doomed order came first: refused for B; the other granted A")
@Outcome(id = "INSUFFICIENT line 0, RESERVED, 1, 1", expect = ACCEPTABLE, desc = "the order for A came first; the doomed one found A full")
@Outcome(id = "INSUFFICIENT line ., INSUFFICIENT.*", expect = FORBIDDEN, desc = "undersold: refused for A, held by an order that was refused")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class InMemory_20_DoomedOrderInTheWay {

    static final List<ReservationRequest> DOOMED = List.of(ReservationRequest.of("A", "ada"), ReservationRequest.of("B", "ada"));
    static final List<ReservationRequest> A_ALONE = List.of(ReservationRequest.of("A", "bob"));

    private final ReservationStrategy strategy = doomed(new InMemoryStrategy());

    /** A with one unit, B with its one unit taken. */
    static ReservationStrategy doomed(ReservationStrategy strategy) {
        strategy.define("A", 1);
        strategy.define("B", 1);
        strategy.reserve(ReservationRequest.of("B", "cy"));
        return strategy;
    }

    @Actor
    public void doomed(LLLL_Result r) {
        r.r1 = Outcomes.orderAndLine(strategy, DOOMED);
    }

    @Actor
    public void aAlone(LLLL_Result r) {
        r.r2 = Outcomes.orderAndLine(strategy, A_ALONE);
    }

    @Arbiter
    public void count(LLLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "A");
        r.r4 = Outcomes.reserved(strategy, "B");
    }
}
