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
 * InMemoryStrategy, one hold extended by a thread whose clock reads a microsecond before its
 * expiry while another thread, whose clock reads the expiry, releases it. Either the extension
 * comes first, and the release then ends the live hold (true); or the release ends the hold by
 * expiry first (false), and the extension finds it EXPIRED. Either way nothing stays reserved.
 * A release that answers false while the extension kept the hold live leaves its unit held until
 * the new expiry, against a holder who was told it is gone (the arbiter's confirm then finds a
 * live hold and confirms it).
 * {@link NegativeControl_09_NaiveExtendRacingReleaseAtExpiry} is this test on a naive strategy.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_14}.
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
public class InMemory_14_ExtendRacingReleaseAtExpiry {

    private final HoldRace race = HoldRace.atExpiry(HoldRace::inMemory);

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
