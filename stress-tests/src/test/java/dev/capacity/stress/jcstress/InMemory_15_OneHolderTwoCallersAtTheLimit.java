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
import org.openjdk.jcstress.infra.results.LLL_Result;

import java.time.Duration;

/**
 * InMemoryStrategy, a per-holder limit of 2 on a resource with room to spare: the holder has one
 * unit, and two of their requests race for the one unit the limit leaves (one permanent, one a
 * hold). Exactly one is granted; the other is refused with HOLDER_LIMIT_REACHED, and the resource
 * counts 2. {@link NegativeControl_10_NaiveHolderLimit} is this test on a limit checked before
 * the reservation.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_15}.
 */
@JCStressTest
@Outcome(id = "RESERVED, HOLDER_LIMIT_REACHED, 2", expect = ACCEPTABLE, desc = "the permanent request came first")
@Outcome(id = "HOLDER_LIMIT_REACHED, RESERVED, 2", expect = ACCEPTABLE, desc = "the hold came first")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "over the limit: the holder has 3 units, limited to 2")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class InMemory_15_OneHolderTwoCallersAtTheLimit {

    private final ReservationStrategy strategy = limited(new InMemoryStrategy());

    /** The resource the test races on: capacity 10, limit 2, and the holder's first unit taken. */
    static ReservationStrategy limited(ReservationStrategy strategy) {
        strategy.define("run", 10);
        strategy.limitPerHolder("run", 2);
        strategy.reserve(ReservationRequest.of("run", "ada"));
        return strategy;
    }

    @Actor
    public void permanent(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada"));
    }

    @Actor
    public void hold(LLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada").withHold(Duration.ofMinutes(10)));
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "run");
    }
}
