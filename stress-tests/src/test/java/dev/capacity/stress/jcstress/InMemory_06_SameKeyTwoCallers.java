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
 * InMemoryStrategy, a double submit: two callers send the same request with the same idempotency
 * key at once. Exactly one reservation is made; the other caller gets it back as REPLAYED.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_06}.
 */
@JCStressTest
@Outcome(id = "RESERVED, REPLAYED, 1", expect = ACCEPTABLE, desc = "the first made it, the second replayed it")
@Outcome(id = "REPLAYED, RESERVED, 1", expect = ACCEPTABLE, desc = "the second made it, the first replayed it")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "one key reserved twice")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class InMemory_06_SameKeyTwoCallers {

    private static final ReservationRequest REQUEST = ReservationRequest.of("run", "buyer").withIdempotencyKey("click-1");

    private final InMemoryStrategy strategy = new InMemoryStrategy();

    public InMemory_06_SameKeyTwoCallers() {
        strategy.define("run", 5);
    }

    @Actor
    public void first(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, REQUEST);
    }

    @Actor
    public void second(LLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, REQUEST);
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "run");
    }
}
