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

/**
 * InMemoryStrategy, a per-holder limit of 1 on a resource with room to spare: the holder's one
 * unit is released while the holder asks for another. The request is granted only if the release
 * came first. The arbiter asks
 * once more: granted exactly when the holder has nothing left, so the holder's count must follow
 * both the release and the racing grant.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_22}.
 */
@JCStressTest
@Outcome(id = "RESERVED, true, HOLDER_LIMIT_REACHED, 1", expect = ACCEPTABLE, desc = "released first, then reserved again")
@Outcome(id = "HOLDER_LIMIT_REACHED, true, RESERVED, 1", expect = ACCEPTABLE, desc = "refused at the limit, then released")
@Outcome(expect = FORBIDDEN, desc = "a lost release, a count that does not follow, or an exception")
@State
public class InMemory_22_ReleaseRacingReserveAtTheLimit {

    private final ReservationStrategy strategy = new InMemoryStrategy();
    private final long held;

    public InMemory_22_ReleaseRacingReserveAtTheLimit() {
        strategy.define("run", 10);
        strategy.limitPerHolder("run", 1);
        held = strategy.reserve(ReservationRequest.of("run", "ada")).reservation().id();
    }

    @Actor
    public void reserve(LLLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada"));
    }

    @Actor
    public void release(LLLL_Result r) {
        r.r2 = Outcomes.release(strategy, held);
    }

    @Arbiter
    public void again(LLLL_Result r) {
        r.r3 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada"));
        r.r4 = Outcomes.reserved(strategy, "run");
    }
}
