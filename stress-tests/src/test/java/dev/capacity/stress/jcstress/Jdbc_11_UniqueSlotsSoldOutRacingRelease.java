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
 * unique-slots on H2 (and again on MariaDB, see {@link JcstressGate}), its only slot taken and the
 * resource not yet marked sold out: one caller reserves (a refusal marks the resource sold out)
 * while another releases the slot. Afterwards a third reserve (the arbiter's) must be granted
 * unless the first caller got the slot: a refusal there means a sold-out mark outlived the
 * release, and the slot would never be sold again.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=Jdbc_11}.
 */
@JCStressTest
@Outcome(id = "RESERVED, true, INSUFFICIENT", expect = ACCEPTABLE, desc = "released first, then the slot was sold to the caller")
@Outcome(id = "INSUFFICIENT, true, RESERVED", expect = ACCEPTABLE, desc = "refused while full, then the released slot was sold")
@Outcome(id = "CONTENDED, true, RESERVED", expect = ACCEPTABLE_INTERESTING,
        desc = "the caller gave up retrying; nothing of it was written")
@Outcome(id = "INSUFFICIENT, true, INSUFFICIENT", expect = FORBIDDEN,
        desc = "undersold: the sold-out mark outlived the release")
@Outcome(expect = FORBIDDEN, desc = "a lost release, oversold, or an exception")
@State
public class Jdbc_11_UniqueSlotsSoldOutRacingRelease {

    private final ReservationStrategy strategy = JdbcOnce.strategy(StrategyKind.UNIQUE_SLOTS);
    private final String run = JdbcOnce.newResource(strategy, 1);
    private final long held = strategy.reserve(ReservationRequest.of(run, "holder")).reservation().id();

    @Actor
    public void reserve(LLL_Result r) {
        r.r1 = Outcomes.reserve(strategy, ReservationRequest.of(run, "newcomer"));
    }

    @Actor
    public void release(LLL_Result r) {
        r.r2 = Outcomes.release(strategy, held);
    }

    @Arbiter
    public void late(LLL_Result r) {
        r.r3 = Outcomes.reserve(strategy, ReservationRequest.of(run, "late"));
    }
}
