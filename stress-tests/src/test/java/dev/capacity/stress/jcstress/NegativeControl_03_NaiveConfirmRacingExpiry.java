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
 * THE NEGATIVE CONTROL for {@link InMemory_08_ConfirmRacingExpiry}: its outcomes, on {@link
 * NaiveHoldStrategy}: a confirm a microsecond before the hold's expiry racing a reserve at it. The
 * naive confirm and the naive expiry both read the hold live and both act on it: jcstress must
 * observe the hold confirmed and its unit sold again. {@link JcstressGate} fails the build if it
 * does not, because then the real test could not have seen it either.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_03}.
 */
@JCStressTest
@Outcome(id = "CONFIRMED, INSUFFICIENT, reserved 1 held 0, ALREADY_CONFIRMED", expect = ACCEPTABLE,
        desc = "the confirm came first: the hold is permanent, no unit left")
@Outcome(id = "EXPIRED, RESERVED, reserved 1 held 0, EXPIRED", expect = ACCEPTABLE,
        desc = "the reserve ended the expired hold first and took its unit")
@Outcome(id = "CONFIRMED, RESERVED, .*", expect = FORBIDDEN,
        desc = "oversold: the hold confirmed and its unit sold again")
@Outcome(id = "EXPIRED, INSUFFICIENT, .*", expect = FORBIDDEN,
        desc = "undersold: the hold expired, yet the reserve was refused")
@Outcome(expect = FORBIDDEN, desc = "a ledger or fate at odds with the answers, another answer, or an exception")
@State
public class NegativeControl_03_NaiveConfirmRacingExpiry {

    private final HoldRace race = HoldRace.atExpiry(NaiveHoldStrategy::new);

    @Actor
    public void confirm(LLLL_Result r) {
        r.r1 = race.confirmJustBeforeExpiry();
    }

    @Actor
    public void reserve(LLLL_Result r) {
        r.r2 = race.reserve();
    }

    @Arbiter
    public void settle(LLLL_Result r) {
        race.settle(r);
    }
}
