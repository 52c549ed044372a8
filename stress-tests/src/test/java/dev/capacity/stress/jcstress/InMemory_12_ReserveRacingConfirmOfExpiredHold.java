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
 * holder, too late, confirms the hold. Both threads read the same instant, the expiry, so the
 * confirm must answer EXPIRED whoever ends the hold; the reserve is granted (an expired hold never
 * causes a refusal), and the arbiter finds the new unit counted once and the hold EXPIRED.
 * {@link NegativeControl_07_NaiveReserveRacingConfirmOfExpiredHold} is this test on a naive strategy.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_12}.
 */
@JCStressTest
@Outcome(id = "RESERVED, EXPIRED, reserved 1 held 0, EXPIRED", expect = ACCEPTABLE,
        desc = "the hold expired once, by whichever came first, and its unit was sold")
@Outcome(id = "INSUFFICIENT, .*", expect = FORBIDDEN, desc = "undersold: an expired hold caused a refusal")
@Outcome(id = ".*, CONFIRMED, .*", expect = FORBIDDEN, desc = "a hold confirmed at its expiry")
@Outcome(id = "RESERVED, EXPIRED, reserved 0 .*", expect = FORBIDDEN,
        desc = "the hold's unit came back twice: the unit sold is not counted")
@Outcome(expect = FORBIDDEN, desc = "a ledger or fate at odds with the answers, another answer, or an exception")
@State
public class InMemory_12_ReserveRacingConfirmOfExpiredHold {

    private final HoldRace race = HoldRace.atExpiry(HoldRace::inMemory);

    @Actor
    public void reserve(LLLL_Result r) {
        r.r1 = race.reserve();
    }

    @Actor
    public void confirm(LLLL_Result r) {
        r.r2 = race.confirm();
    }

    @Arbiter
    public void settle(LLLL_Result r) {
        race.settle(r);
    }
}
