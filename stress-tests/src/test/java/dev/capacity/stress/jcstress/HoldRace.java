package dev.capacity.stress.jcstress;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;

import org.openjdk.jcstress.infra.results.LLLL_Result;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Function;

/**
 * The scene of the hold tests ({@code InMemory_08} on) and of their negative controls: a resource
 * of capacity 1 whose unit is taken by one hold, made at {@link #START} to expire at
 * {@link #EXPIRY}. A test and its control build the same scene, each with its own strategy, and
 * their actors and arbiter call the same methods here, so they differ in the strategy only.
 *
 * <p>The strategy's clock then reads one instant on every thread ({@link #live}: START, the hold
 * is live; {@link #atExpiry}: EXPIRY, the hold expires at that very instant and nothing has ended
 * it yet), except in {@link #confirmJustBeforeExpiry} and {@link #extendJustBeforeExpiry}, whose
 * thread reads the last microsecond before it (the strategies keep microseconds).
 *
 * <p>The arbiter writes the ledger ({@code reserved 1 held 0}) and the hold's fate, which a
 * confirm after the race reads without changing anything when the hold has ended or is
 * permanent: ALREADY_CONFIRMED, RELEASED or EXPIRED.
 */
final class HoldRace {

    static final Instant START = Instant.parse("2030-01-01T00:00:00Z");
    static final Duration TTL = Duration.ofMinutes(1);
    static final Instant EXPIRY = START.plus(TTL);
    static final Instant JUST_BEFORE_EXPIRY = EXPIRY.minus(1, ChronoUnit.MICROS);

    private static final String RESOURCE = "run";

    private final ReservationStrategy strategy;
    private final long hold;

    private HoldRace(Function<Clock, ReservationStrategy> strategies, Instant now) {
        strategy = strategies.apply(new PerThreadClock(now));
        strategy.define(RESOURCE, 1);
        ReservationRequest request = ReservationRequest.of(RESOURCE, "holder").withHold(TTL);
        hold = PerThreadClock.reading(START, () -> strategy.reserve(request)).reservation().id();
    }

    /** The scene with the clock at START: the hold is live. */
    static HoldRace live(Function<Clock, ReservationStrategy> strategies) {
        return new HoldRace(strategies, START);
    }

    /** The scene with the clock at EXPIRY: the hold has expired, at this very instant. */
    static HoldRace atExpiry(Function<Clock, ReservationStrategy> strategies) {
        return new HoldRace(strategies, EXPIRY);
    }

    /** The strategy under proof, on {@code clock}. */
    static ReservationStrategy inMemory(Clock clock) {
        return new InMemoryStrategy(StrategyOptions.builder().clock(clock).build());
    }

    /** Asks for the unit, for a newcomer. */
    String reserve() {
        return Outcomes.reserve(strategy, ReservationRequest.of(RESOURCE, "newcomer"));
    }

    String confirm() {
        return Outcomes.confirm(strategy, hold);
    }

    String confirmJustBeforeExpiry() {
        return PerThreadClock.reading(JUST_BEFORE_EXPIRY, this::confirm);
    }

    /** Extends the hold by {@link #TTL} from the last microsecond before its expiry. */
    String extendJustBeforeExpiry() {
        return PerThreadClock.reading(JUST_BEFORE_EXPIRY, () -> Outcomes.extend(strategy, hold, TTL));
    }

    String release() {
        return Outcomes.release(strategy, hold);
    }

    /** The arbiter: the ledger in r3, the hold's fate in r4. */
    void settle(LLLL_Result r) {
        r.r3 = Outcomes.ledger(strategy, RESOURCE);
        r.r4 = confirm();
    }
}
