package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
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
 * unique-slots on H2 (and again on MariaDB, see {@link JcstressGate}), one unit left, two callers: exactly one gets it, and the reserved count (the
 * arbiter's third value) says 1. A caller that spent its retry budget (CONTENDED) wrote nothing,
 * so the other must have the unit.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=Jdbc_07}.
 */
@JCStressTest
@Outcome(id = "RESERVED, INSUFFICIENT, 1", expect = ACCEPTABLE, desc = "the first caller took the last unit")
@Outcome(id = "INSUFFICIENT, RESERVED, 1", expect = ACCEPTABLE, desc = "the second caller took the last unit")
@Outcome(id = {"RESERVED, CONTENDED, 1", "CONTENDED, RESERVED, 1"}, expect = ACCEPTABLE_INTERESTING,
        desc = "the other caller gave up retrying; nothing of it was written")
@Outcome(id = "RESERVED, RESERVED, .*", expect = FORBIDDEN, desc = "oversold: both took the last unit")
@Outcome(id = "INSUFFICIENT, INSUFFICIENT, .*", expect = FORBIDDEN, desc = "undersold: the last unit was not sold")
@Outcome(expect = FORBIDDEN, desc = "a wrong count, a livelock, or an exception")
@State
public class Jdbc_07_UniqueSlotsLastUnit {

    private final ReservationStrategy strategy = JdbcOnce.strategy(StrategyKind.UNIQUE_SLOTS);
    private final String run = JdbcOnce.newResource(strategy, 1);

    @Actor
    public void first(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of(run, "first"));
    }

    @Actor
    public void second(LLL_Result r) {
        r.r2 = Outcomes.reserve(strategy, ReservationRequest.of(run, "second"));
    }

    @Arbiter
    public void count(LLL_Result r) {
        r.r3 = Outcomes.reserved(strategy, run);
    }
}
