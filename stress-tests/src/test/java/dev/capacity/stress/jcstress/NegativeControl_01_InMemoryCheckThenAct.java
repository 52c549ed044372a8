package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LL_Result;

/**
 * THE NEGATIVE CONTROL for the in-memory tests: the outcomes of {@link InMemory_01_LastUnitTwoCallers}
 * applied to a naive check-then-act counter ({@code if (reserved + q <= capacity) reserved += q}).
 * jcstress must observe the forbidden oversell here; {@link JcstressGate} fails the build if it
 * does not, because then the real tests could not have seen it either.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_01}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT", expect = ACCEPTABLE, desc = "the first caller took the last unit")
@Outcome(id = "INSUFFICIENT, RESERVED", expect = ACCEPTABLE, desc = "the second caller took the last unit")
@Outcome(id = "RESERVED, RESERVED", expect = FORBIDDEN, desc = "oversold: both read 0 of 1 and both wrote")
@Outcome(expect = FORBIDDEN, desc = "any other answer")
@State
public class NegativeControl_01_InMemoryCheckThenAct {

    private final long capacity = 1;
    private long reserved;

    private String reserve() {
        if (reserved + 1 <= capacity) {
            reserved = reserved + 1;
            return "RESERVED";
        }
        return "INSUFFICIENT";
    }

    @Actor
    public void first(LL_Result r) {
        r.r1 = reserve();
    }

    @Actor
    public void second(LL_Result r) {
        r.r2 = reserve();
    }
}
