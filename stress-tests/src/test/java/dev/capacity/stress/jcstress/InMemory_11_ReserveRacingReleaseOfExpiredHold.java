package dev.capacity.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLLL_Result;

/**
 * InMemoryStrategy, capacity 1 blocked by a hold that expired at this very instant (the clock
 * reads its expiry) and that nothing has ended yet, while one caller asks for the unit and the
 * holder releases the hold. Both race to end the hold by expiry; one does, once. The reserve is
 * granted whoever does it (an expired hold never causes a refusal), the release answers false
 * (the units came back when the hold expired, not by this release), and the arbiter finds the new
 * unit counted once and the hold EXPIRED: units that came back twice would leave nothing reserved.
 * {@link NegativeControl_06_NaiveReserveRacingReleaseOfExpiredHold} is this test on a naive strategy.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_11}.
 */
@JCStressTest
@Outcome(id = "RESERVED, false, reserved 1 held 0, EXPIRED", expect = ACCEPTABLE,
        desc = "the hold expired once, by whichever came first, and its unit was sold")
@Outcome(id = "INSUFFICIENT, .*", expect = FORBIDDEN, desc = "undersold: an expired hold caused a refusal")
@Outcome(id = ".*, true, .*", expect = FORBIDDEN, desc = "an expired hold released: its units came back twice")
@Outcome(id = "RESERVED, false, reserved 0 .*", expect = FORBIDDEN,
        desc = "the hold's unit came back twice: the unit sold is not counted")
@Outcome(expect = FORBIDDEN, desc = "a ledger or fate at odds with the answers, another answer, or an exception")
@State
public class InMemory_11_ReserveRacingReleaseOfExpiredHold {

    private final HoldRace race = HoldRace.atExpiry(HoldRace::inMemory);

    @Actor
    public void reserve(LLLL_Result r) {
        r.r1 = race.reserve();
    }

    @Actor
    public void release(LLLL_Result r) {
        r.r2 = race.release();
    }

    @Arbiter
    public void settle(LLLL_Result r) {
        race.settle(r);
    }
}
