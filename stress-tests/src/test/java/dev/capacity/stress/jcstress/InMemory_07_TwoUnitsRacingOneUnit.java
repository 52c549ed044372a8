package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * InMemoryStrategy, two units left: one caller asks for 2, another for 1. Whoever comes first
 * fits and the other does not; both fitting is an oversell, neither an undersell.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_07}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT, 3", expect = ACCEPTABLE, desc = "the two-unit request came first")
@Outcome(id = "INSUFFICIENT, RESERVED, 2", expect = ACCEPTABLE, desc = "the one-unit request came first")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "oversold: 3 units granted from 2")
@Outcome(id = "INSUFFICIENT, INSUFFICIENT, .*", expect = FORBIDDEN, desc = "undersold: the first request fitted")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class InMemory_07_TwoUnitsRacingOneUnit {

    private final InMemoryStrategy strategy = new InMemoryStrategy();

    public InMemory_07_TwoUnitsRacingOneUnit() {
        strategy.define("run", 3);
        strategy.reserve(ReservationRequest.of("run", "holder"));
    }

    @Actor
    public void two(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "pair").withQuantity(2));
    }

    @Actor
    public void one(LLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, ReservationRequest.of("run", "single"));
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "run");
    }
}
