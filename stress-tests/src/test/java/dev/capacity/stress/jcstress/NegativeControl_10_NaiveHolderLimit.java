package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.testing.NaiveHolderLimitStrategy;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

import java.time.Duration;

/**
 * THE NEGATIVE CONTROL for {@link InMemory_15_OneHolderTwoCallersAtTheLimit}: the same race on a
 * limit an application checks before it reserves ({@link NaiveHolderLimitStrategy} over the
 * in-memory strategy). jcstress must observe the holder going over the limit; {@link JcstressGate}
 * fails the build if it does not.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_10}.
 */
@JCStressTest
@Outcome(id = "RESERVED, HOLDER_LIMIT_REACHED, 2", expect = ACCEPTABLE, desc = "the permanent request came first")
@Outcome(id = "HOLDER_LIMIT_REACHED, RESERVED, 2", expect = ACCEPTABLE, desc = "the hold came first")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "over the limit: both checked 1 of 2, both reserved")
@Outcome(expect = FORBIDDEN, desc = "any other answer, or an exception")
@State
public class NegativeControl_10_NaiveHolderLimit {

    private final ReservationStrategy strategy =
            InMemory_15_OneHolderTwoCallersAtTheLimit.limited(new NaiveHolderLimitStrategy(new InMemoryStrategy(), 0));

    @Actor
    public void permanent(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada"));
    }

    @Actor
    public void hold(LLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, ReservationRequest.of("run", "ada").withHold(Duration.ofMinutes(10)));
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, "run");
    }
}
