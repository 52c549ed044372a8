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
 * THE NEGATIVE CONTROL for {@link InMemory_12_ReserveRacingConfirmOfExpiredHold}: its outcomes, on
 * {@link NaiveHoldStrategy}: a reserve racing a confirm of the expired hold that blocks it. The
 * reserve's reclaim and the confirm both read the hold expired and both end it: jcstress must
 * observe its unit come back twice (the unit sold is not counted). {@link JcstressGate} fails the
 * build if it does not, because then the real test could not have seen it either.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_07}.
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
public class NegativeControl_07_NaiveReserveRacingConfirmOfExpiredHold {

    private final HoldRace race = HoldRace.atExpiry(NaiveHoldStrategy::new);

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
