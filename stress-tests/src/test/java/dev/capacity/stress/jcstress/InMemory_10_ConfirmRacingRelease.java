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
 * InMemoryStrategy, one live hold that one caller confirms while another releases it (the buyer
 * pays as the cart is abandoned). Either the confirm comes first and the release then gives the
 * permanent unit back, or the release comes first and the confirm finds it RELEASED. Either way
 * the release answers true, the unit comes back once (nothing reserved, nothing held) and the
 * hold ends RELEASED: a hold released yet still confirmed would be a sale whose unit is free.
 * {@link NegativeControl_05_NaiveConfirmRacingRelease} is this test on a naive strategy.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_10}.
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
public class InMemory_10_ConfirmRacingRelease {

    private final HoldRace race = HoldRace.live(HoldRace::inMemory);

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
