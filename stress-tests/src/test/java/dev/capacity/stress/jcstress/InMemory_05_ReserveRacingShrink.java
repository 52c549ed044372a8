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
 * InMemoryStrategy, capacity 2 with 1 reserved, while one caller reserves a unit and another
 * shrinks the capacity to 1 and then reads the reserved count. If the resizer read 1 after its
 * shrink, the reserve had not taken effect yet, so it took effect under capacity 1 and must have
 * been refused: a grant then means a reservation saw a capacity no longer in force.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_05}.
 */
@JCStressTest
@Outcome(id = "RESERVED, 2, 2", expect = ACCEPTABLE, desc = "reserved before the shrink; the shrink keeps it")
@Outcome(id = "INSUFFICIENT, 1, 1", expect = ACCEPTABLE, desc = "shrunk first; the reserve is refused")
@Outcome(id = "RESERVED, 1, 2", expect = FORBIDDEN, desc = "granted after a shrink that left no room")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class InMemory_05_ReserveRacingShrink {

    private final InMemoryStrategy strategy = new InMemoryStrategy();

    public InMemory_05_ReserveRacingShrink() {
        strategy.define("run", 2);
        strategy.reserve(ReservationRequest.of("run", "holder"));
    }

    @Actor
    public void reserve(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "newcomer"));
    }

    @Actor
    public void shrink(LLL_Result r) {
        try {
            strategy.resize("run", 1);
            r.r2 = Outcomes.reserved(strategy, "run");
        } catch (RuntimeException e) {
            r.r2 = "ERROR";
        }
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "run");
    }
}
