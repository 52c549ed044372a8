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
 * THE NEGATIVE CONTROL for {@link InMemory_09_TwoConfirms}: its outcomes, on {@link
 * NaiveHoldStrategy}: two confirms of one live hold. Both read it live and both confirm it:
 * jcstress must observe CONFIRMED twice. {@link JcstressGate} fails the build if it does not,
 * because then the real test could not have seen it either.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=NegativeControl_04}.
 */
@JCStressTest
@Outcome(id = "CONFIRMED, ALREADY_CONFIRMED, reserved 1 held 0, ALREADY_CONFIRMED", expect = ACCEPTABLE,
        desc = "the first confirmed it, the second found it confirmed")
@Outcome(id = "ALREADY_CONFIRMED, CONFIRMED, reserved 1 held 0, ALREADY_CONFIRMED", expect = ACCEPTABLE,
        desc = "the second confirmed it, the first found it confirmed")
@Outcome(id = "CONFIRMED, CONFIRMED, .*", expect = FORBIDDEN, desc = "one hold confirmed twice")
@Outcome(expect = FORBIDDEN, desc = "a ledger or fate at odds with the answers, another answer, or an exception")
@State
public class NegativeControl_04_NaiveTwoConfirms {

    private final HoldRace race = HoldRace.live(NaiveHoldStrategy::new);

    @Actor
    public void first(LLLL_Result r) {
        r.r1 = race.confirm();
    }

    @Actor
    public void second(LLLL_Result r) {
        r.r2 = race.confirm();
    }

    @Arbiter
    public void settle(LLLL_Result r) {
        race.settle(r);
    }
}
