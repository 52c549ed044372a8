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
 * THE NEGATIVE CONTROL for {@link InMemory_14_ExtendRacingReleaseAtExpiry}: its outcomes, on
 * {@link NaiveHoldStrategy}: an extension a microsecond before the hold's expiry racing a release
 * at it. The extension reads the hold live, the release reads it expired, and both act: jcstress
 * must observe the hold extended while the release answered false. {@link JcstressGate} fails the
 * build if it does not, because then the real test could not have seen it either.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_09}.
 */
@JCStressTest
@Outcome(id = "EXTENDED, true, reserved 0 held 0, RELEASED", expect = ACCEPTABLE,
        desc = "extended, then released: the live hold's unit came back")
@Outcome(id = "EXPIRED, false, reserved 0 held 0, EXPIRED", expect = ACCEPTABLE,
        desc = "the release ended the hold by expiry first; the extension found it expired")
@Outcome(id = "EXTENDED, false, .*", expect = FORBIDDEN,
        desc = "a lost release: extended, yet the release said expired; the unit stays held")
@Outcome(expect = FORBIDDEN, desc = "a ledger or fate at odds with the answers, another answer, or an exception")
@State
public class NegativeControl_09_NaiveExtendRacingReleaseAtExpiry {

    private final HoldRace race = HoldRace.atExpiry(NaiveHoldStrategy::new);

    @Actor
    public void extend(LLLL_Result r) {
        r.r1 = race.extendJustBeforeExpiry();
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
