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
 * InMemoryStrategy, full (one unit, held), while one caller reserves and another releases the
 * held unit. The reserve succeeds only if the release came first, and the reserved count at the
 * end (the arbiter's third value) must agree with what the reserve said: a grant with nothing
 * reserved, or a refusal with the unit still counted, is a ledger that does not add up.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_04}.
 */
@JCStressTest
@Outcome(id = "RESERVED, true, 1", expect = ACCEPTABLE, desc = "released first, then reserved again")
@Outcome(id = "INSUFFICIENT, true, 0", expect = ACCEPTABLE, desc = "refused while full, then released")
@Outcome(expect = FORBIDDEN, desc = "a lost release, a ledger that does not add up, or an exception")
@State
public class InMemory_04_ReserveRacingRelease {

    private final InMemoryStrategy strategy = new InMemoryStrategy();
    private final long held;

    public InMemory_04_ReserveRacingRelease() {
        strategy.define("run", 1);
        held = strategy.reserve(ReservationRequest.of("run", "holder")).reservation().id();
    }

    @Actor
    public void reserve(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "newcomer"));
    }

    @Actor
    public void release(LLL_Result r) {
        r.r2 = Outcomes.release(strategy, held);
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "run");
    }
}
