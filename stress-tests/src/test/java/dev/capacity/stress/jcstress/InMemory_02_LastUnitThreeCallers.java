package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * InMemoryStrategy, one unit left, three callers: exactly one gets it; every other combination
 * (two or three granted, or none) is forbidden.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_02}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT, INSUFFICIENT", expect = ACCEPTABLE, desc = "the first caller took it")
@Outcome(id = "INSUFFICIENT, RESERVED, INSUFFICIENT", expect = ACCEPTABLE, desc = "the second caller took it")
@Outcome(id = "INSUFFICIENT, INSUFFICIENT, RESERVED", expect = ACCEPTABLE, desc = "the third caller took it")
@Outcome(expect = FORBIDDEN, desc = "oversold, undersold, or an exception")
@State
public class InMemory_02_LastUnitThreeCallers {

    private final InMemoryStrategy strategy = new InMemoryStrategy();

    public InMemory_02_LastUnitThreeCallers() {
        strategy.define("run", 1);
    }

    @Actor
    public void first(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "first"));
    }

    @Actor
    public void second(LLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, ReservationRequest.of("run", "second"));
    }

    @Actor
    public void third(LLL_Result r) {
        r.r3 = Outcomes.reserve(strategy, ReservationRequest.of("run", "third"));
    }
}
