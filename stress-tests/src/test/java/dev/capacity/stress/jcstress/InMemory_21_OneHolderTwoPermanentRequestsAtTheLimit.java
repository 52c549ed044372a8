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
 * InMemoryStrategy, a per-holder limit of 2: the holder has one unit, and two of their permanent
 * requests (no key, no hold) race for the one unit the limit leaves. Exactly one is granted. The
 * arbiter then releases the holder's first unit and asks once more: the holder is at 1 unit
 * again, so that request must be granted (a count that kept a unit it no longer has would refuse
 * it) and the resource counts 2. {@link InMemory_15_OneHolderTwoCallersAtTheLimit} races a
 * permanent request against a hold; a grant of a permanent request in one compare-and-set (tried
 * 2026-12-01, not kept) whose holder count was added only by the granter failed this test.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_21}.
 */
@JCStressTest
@Outcome(id = "RESERVED, HOLDER_LIMIT_REACHED, RESERVED, 2", expect = ACCEPTABLE, desc = "the first actor came first")
@Outcome(id = "HOLDER_LIMIT_REACHED, RESERVED, RESERVED, 2", expect = ACCEPTABLE, desc = "the second actor came first")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "over the limit: the holder has 3 units, limited to 2")
@Outcome(expect = FORBIDDEN, desc = "a count that does not follow the grants, or an exception")
@State
public class InMemory_21_OneHolderTwoPermanentRequestsAtTheLimit {

    private final ReservationStrategy strategy = new InMemoryStrategy();
    private final long first;

    public InMemory_21_OneHolderTwoPermanentRequestsAtTheLimit() {
        strategy.define("run", 10);
        strategy.limitPerHolder("run", 2);
        first = strategy.reserve(ReservationRequest.of("run", "ada")).reservation().id();
    }

    @Actor
    public void one(LLLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada"));
    }

    @Actor
    public void two(LLLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada"));
    }

    @Arbiter
    public void again(LLLL_Result r) {
        strategy.release(first);
        r.r3 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada"));
        r.r4 = Outcomes.reserved(strategy, "run");
    }
}
