package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LL_Result;

/**
 * InMemoryStrategy, one unit left, two callers: exactly one gets it. Both getting it is an
 * oversell; neither getting it an undersell (the last unit must always be sold).
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_01}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT", expect = ACCEPTABLE, desc = "the first caller took the last unit")
@Outcome(id = "INSUFFICIENT, RESERVED", expect = ACCEPTABLE, desc = "the second caller took the last unit")
@Outcome(id = "RESERVED, RESERVED", expect = FORBIDDEN, desc = "oversold: both took the last unit")
@Outcome(id = "INSUFFICIENT, INSUFFICIENT", expect = FORBIDDEN, desc = "undersold: the last unit was not sold")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class InMemory_01_LastUnitTwoCallers {

    private final InMemoryStrategy strategy = new InMemoryStrategy();

    public InMemory_01_LastUnitTwoCallers() {
        strategy.define("run", 1);
    }

    @Actor
    public void first(LL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "first"));
    }

    @Actor
    public void second(LL_Result r) {
        r.r2 = Outcomes.reserve(strategy, ReservationRequest.of("run", "second"));
    }
}
