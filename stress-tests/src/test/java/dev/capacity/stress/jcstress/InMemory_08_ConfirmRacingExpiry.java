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
 * InMemoryStrategy, capacity 1 taken by a hold that expires at EXPIRY, while one caller confirms
 * the hold and another asks for the unit. The confirming thread reads the clock a microsecond
 * before EXPIRY, the reserving thread reads EXPIRY itself (a {@link PerThreadClock}): to the
 * confirm the hold is live, to the reserve it has expired. Had both read EXPIRY the confirm would
 * simply answer EXPIRED (expired at the instant of expiry); with the readings apart, which of the
 * two wins is decided by the strategy's compare-and-set on the hold's life alone, on every sample.
 *
 * <p>Either the confirm wins (the hold is permanent, the reserve finds no room and nothing expired
 * to reclaim) or the reserve ends the hold by expiry and takes its unit (the confirm then finds it
 * EXPIRED). Never both: a confirmed hold whose unit is sold again is an oversell; never neither:
 * a refusal while the hold's expiry is reported is an undersell. The arbiter (at EXPIRY) must find
 * one unit reserved, none held, and the hold in the fate its confirm reported.
 * {@link NegativeControl_03_NaiveConfirmRacingExpiry} is this test on a naive strategy.
 *
 * <p>Run alone: {@code mvn -pl stress-tests -am verify -Djcstress.tests=InMemory_08}.
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
public class InMemory_08_ConfirmRacingExpiry {

    private final HoldRace race = HoldRace.atExpiry(HoldRace::inMemory);

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
