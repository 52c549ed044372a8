package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLLL_Result;

/**
 * InMemoryStrategy, one unit left, four callers: exactly one gets it.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_03}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT, INSUFFICIENT, INSUFFICIENT", expect = ACCEPTABLE, desc = "the first took it")
@Outcome(id = "INSUFFICIENT, RESERVED, INSUFFICIENT, INSUFFICIENT", expect = ACCEPTABLE, desc = "the second took it")
@Outcome(id = "INSUFFICIENT, INSUFFICIENT, RESERVED, INSUFFICIENT", expect = ACCEPTABLE, desc = "the third took it")
@Outcome(id = "INSUFFICIENT, INSUFFICIENT, INSUFFICIENT, RESERVED", expect = ACCEPTABLE, desc = "the fourth took it")
@Outcome(expect = FORBIDDEN, desc = "oversold, undersold, or an exception")
@State
public class InMemory_03_LastUnitFourCallers {

    private final InMemoryStrategy strategy = new InMemoryStrategy();

    public InMemory_03_LastUnitFourCallers() {
        strategy.define("run", 1);
    }

    @Actor
    public void first(LLLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "first"));
    }

    @Actor
    public void second(LLLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, ReservationRequest.of("run", "second"));
    }

    @Actor
    public void third(LLLL_Result r) {
        r.r3 = Outcomes.reserve(strategy, ReservationRequest.of("run", "third"));
    }

    @Actor
    public void fourth(LLLL_Result r) {
        r.r4 = Outcomes.reserve(strategy, ReservationRequest.of("run", "fourth"));
    }
}
