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
 * InMemoryStrategy, one live hold confirmed by two callers at once (a double click on "pay").
 * Exactly one confirm makes it permanent, the other finds it ALREADY_CONFIRMED; its unit leaves
 * {@code held} once, so the arbiter finds one unit reserved and none held.
 * {@link NegativeControl_04_NaiveTwoConfirms} is this test on a naive strategy.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_09}.
 */
@JCStressTest
@Outcome(id = "CONFIRMED, ALREADY_CONFIRMED, reserved 1 held 0, ALREADY_CONFIRMED", expect = ACCEPTABLE,
        desc = "the first confirmed it, the second found it confirmed")
@Outcome(id = "ALREADY_CONFIRMED, CONFIRMED, reserved 1 held 0, ALREADY_CONFIRMED", expect = ACCEPTABLE,
        desc = "the second confirmed it, the first found it confirmed")
@Outcome(id = "CONFIRMED, CONFIRMED, .*", expect = FORBIDDEN, desc = "one hold confirmed twice")
@Outcome(expect = FORBIDDEN, desc = "a ledger or fate at odds with the answers, another answer, or an exception")
@State
public class InMemory_09_TwoConfirms {

    private final HoldRace race = HoldRace.live(HoldRace::inMemory);

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
