package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.stress.internal.NaiveCheckThenActStrategy;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * THE NEGATIVE CONTROL for the JDBC tests: the outcomes of the {@code Jdbc_*LastUnit} tests
 * applied to {@link NaiveCheckThenActStrategy} on the same database (H2, then MariaDB). jcstress must observe the
 * forbidden oversell; {@link JcstressGate} fails the build if it does not.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_02}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT, 1", expect = ACCEPTABLE, desc = "the first caller took the last unit")
@Outcome(id = "INSUFFICIENT, RESERVED, 1", expect = ACCEPTABLE, desc = "the second caller took the last unit")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "oversold: both read 0 of 1 and both inserted")
@Outcome(expect = FORBIDDEN, desc = "any other answer")
@State
public class NegativeControl_02_JdbcCheckThenAct {

    private static final ReservationStrategy NAIVE = new NaiveCheckThenActStrategy(JdbcOnce.jdbi());

    private final String run = JdbcOnce.newResource(NAIVE, 1);

    @Actor
    public void first(LLL_Result r) {
        r.r1 = Outcomes.reserve(NAIVE, ReservationRequest.of(run, "first"));
    }

    @Actor
    public void second(LLL_Result r) {
        r.r2 = Outcomes.reserve(NAIVE, ReservationRequest.of(run, "second"));
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(NAIVE, run);
    }
}
