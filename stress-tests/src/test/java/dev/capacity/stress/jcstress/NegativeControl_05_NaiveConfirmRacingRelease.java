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
 * THE NEGATIVE CONTROL for {@link InMemory_10_ConfirmRacingRelease}: its outcomes, on {@link
 * NaiveHoldStrategy}: a confirm racing a release of one live hold. Both read it live and both act:
 * when the confirm writes last, jcstress must observe a hold released (its unit back) yet still
 * confirmed. {@link JcstressGate} fails the build if it does not, because then the real test could
 * not have seen it either.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_05}.
 */
@JCStressTest
@Outcome(id = "CONFIRMED, true, reserved 0 held 0, RELEASED", expect = ACCEPTABLE,
        desc = "confirmed, then released: the permanent unit came back")
@Outcome(id = "RELEASED, true, reserved 0 held 0, RELEASED", expect = ACCEPTABLE,
        desc = "released first: the confirm found it released")
@Outcome(id = ".*, false, .*", expect = FORBIDDEN, desc = "a lost release: the live hold was not released")
@Outcome(id = ".*, true, .*, ALREADY_CONFIRMED", expect = FORBIDDEN,
        desc = "released, yet still confirmed: a sale whose unit is free")
@Outcome(expect = FORBIDDEN, desc = "a ledger or fate at odds with the answers, another answer, or an exception")
@State
public class NegativeControl_05_NaiveConfirmRacingRelease {

    private final HoldRace race = HoldRace.live(NaiveHoldStrategy::new);

    @Actor
    public void confirm(LLLL_Result r) {
        r.r1 = race.confirm();
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
