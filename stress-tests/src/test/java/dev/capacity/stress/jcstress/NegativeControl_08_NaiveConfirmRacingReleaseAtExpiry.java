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
 * THE NEGATIVE CONTROL for {@link InMemory_13_ConfirmRacingReleaseAtExpiry}: its outcomes, on
 * {@link NaiveHoldStrategy}: a confirm a microsecond before the hold's expiry racing a release at
 * it. The confirm reads the hold live, the release reads it expired, and both act: jcstress must
 * observe the hold confirmed while the release answered false. {@link JcstressGate} fails the
 * build if it does not, because then the real test could not have seen it either.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_08}.
 */
@JCStressTest
@Outcome(id = "CONFIRMED, true, reserved 0 held 0, RELEASED", expect = ACCEPTABLE,
        desc = "confirmed, then released: the permanent unit came back")
@Outcome(id = "EXPIRED, false, reserved 0 held 0, EXPIRED", expect = ACCEPTABLE,
        desc = "the release ended the hold by expiry first; the confirm found it expired")
@Outcome(id = "CONFIRMED, false, .*", expect = FORBIDDEN,
        desc = "a lost release: confirmed, yet the release said expired; the unit stays reserved")
@Outcome(id = "RELEASED, true, .*", expect = FORBIDDEN,
        desc = "a confirm that made the hold permanent (the release found it so), yet answered RELEASED")
@Outcome(expect = FORBIDDEN, desc = "a ledger or fate at odds with the answers, another answer, or an exception")
@State
public class NegativeControl_08_NaiveConfirmRacingReleaseAtExpiry {

    private final HoldRace race = HoldRace.atExpiry(NaiveHoldStrategy::new);

    @Actor
    public void confirm(LLLL_Result r) {
        r.r1 = race.confirmJustBeforeExpiry();
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
