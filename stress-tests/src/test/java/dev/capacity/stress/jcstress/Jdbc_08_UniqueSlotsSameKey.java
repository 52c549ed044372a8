package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * unique-slots on H2, a double submit: two callers send the same request with the same idempotency
 * key at once. Exactly one reservation is made (the reserved count, third, is 1) and the other
 * caller gets it back as REPLAYED.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=Jdbc_08}.
 */
@JCStressTest
@Outcome(id = "RESERVED, REPLAYED, 1", expect = ACCEPTABLE, desc = "the first made it, the second replayed it")
@Outcome(id = "REPLAYED, RESERVED, 1", expect = ACCEPTABLE, desc = "the second made it, the first replayed it")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "one key reserved twice")
@Outcome(expect = FORBIDDEN, desc = "a wrong count, contention on a free resource, or an exception")
@State
public class Jdbc_08_UniqueSlotsSameKey {

    private final ReservationStrategy strategy = JdbcOnce.strategy(StrategyKind.UNIQUE_SLOTS);
    private final String run = JdbcOnce.newResource(strategy, 5);
    private final ReservationRequest request = ReservationRequest.of(run, "buyer").withIdempotencyKey(JdbcOnce.newKey());

    @Actor
    public void first(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, request);
    }

    @Actor
    public void second(LLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, request);
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, run);
    }
}
