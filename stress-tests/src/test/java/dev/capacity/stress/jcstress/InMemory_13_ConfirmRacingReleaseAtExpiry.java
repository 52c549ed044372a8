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
 * InMemoryStrategy, one hold confirmed by a thread whose clock reads a microsecond before its
 * expiry while another thread, whose clock reads the expiry, releases it. To the confirm the hold
 * is live, to the release it has expired. Either the confirm comes first, and the release then
 * gives the permanent unit back (true); or the release ends the hold by expiry first (false: its
 * unit came back by expiry), and the confirm finds it EXPIRED. Either way nothing stays reserved.
 * A release that answers false while the confirm made the hold permanent leaves a unit sold that
 * its holder was told is gone: it stays reserved for good. A release that answers true can only
 * have found the hold confirmed (to it the hold has expired), so a confirm that then answers
 * RELEASED misreports its own confirmation.
 * {@link NegativeControl_08_NaiveConfirmRacingReleaseAtExpiry} is this test on a naive strategy.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_13}.
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
public class InMemory_13_ConfirmRacingReleaseAtExpiry {

    private final HoldRace race = HoldRace.atExpiry(HoldRace::inMemory);

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
