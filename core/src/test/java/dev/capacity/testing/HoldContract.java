package dev.capacity.testing;

import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;

import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * Holds, the same for every strategy: a hold counts against the capacity exactly while it is
 * unconfirmed, unreleased and expires after the strategy's clock; each hold ends once and its
 * units come back once. Every test moves a clock of its own instead of sleeping.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HoldContract {

    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    /** The strategies every test runs against, once each. */
    protected abstract Stream<StrategyUnderTest> strategies();

    /** A strategy on {@code clock}. */
    private static ReservationStrategy on(StrategyUnderTest underTest, MutableClock clock) {
        return underTest.create(StrategyOptions.builder().clock(clock).build());
    }

    private static ReservationRequest hold(String resourceId, String holderId) {
        return ReservationRequest.of(resourceId, holderId).withHold(TEN_MINUTES);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void hold_countsAgainstTheCapacityUntilItExpires(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 2);
        Instant madeAt = clock.instant();

        ReservationResult held = strategy.reserve(hold(run, "ada"));
        ReservationResult permanent = strategy.reserve(ReservationRequest.of(run, "bob"));

        assertThat(held.status()).isEqualTo(RESERVED);
        assertThat(held.reservation().expiresAt()).contains(madeAt.plus(TEN_MINUTES));
        assertThat(held.reservation().isHold()).isTrue();
        assertThat(permanent.reservation().expiresAt()).isEmpty();
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 2, 1));
        assertThat(strategy.reserve(ReservationRequest.of(run, "cy")).status()).isEqualTo(INSUFFICIENT_CAPACITY);

        clock.advance(TEN_MINUTES.minusNanos(1000));
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 2, 1));
        assertThat(strategy.reserve(ReservationRequest.of(run, "cy")).status()).isEqualTo(INSUFFICIENT_CAPACITY);

        clock.advance(Duration.ofNanos(1000));
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 1, 0));
        assertThat(strategy.reserve(ReservationRequest.of(run, "cy")).status()).isEqualTo(RESERVED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 2, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void expiredHold_neverSwept_neverCausesARefusalAndComesBackOnce(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 3);
        long held = strategy.reserve(hold(run, "ada").withQuantity(2)).reservation().id();
        strategy.reserve(ReservationRequest.of(run, "bob"));
        clock.advance(TEN_MINUTES);

        ReservationResult taken = strategy.reserve(ReservationRequest.of(run, "cy").withQuantity(2));

        assertThat(taken.status()).isEqualTo(RESERVED);
        assertThat(strategy.release(held)).as("its units came back when it expired").isFalse();
        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.extend(held, TEN_MINUTES)).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 3, 0));
        assertThat(strategy.reserve(ReservationRequest.of(run, "dee")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void confirm_liveHold_makesItPermanent(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 1);
        long held = strategy.reserve(hold(run, "ada")).reservation().id();
        clock.advance(TEN_MINUTES.minusSeconds(1));

        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.CONFIRMED);

        clock.advance(TEN_MINUTES);
        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 1, 0));
        assertThat(strategy.reserve(ReservationRequest.of(run, "bob")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        assertThat(strategy.extend(held, TEN_MINUTES)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        assertThat(strategy.release(held)).isTrue();
        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.RELEASED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 0, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void confirm_atTheInstantOfExpiry_isExpiredAndTheUnitsAreFree(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 1);
        long held = strategy.reserve(hold(run, "ada")).reservation().id();
        clock.advance(TEN_MINUTES);

        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.EXPIRED);

        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 0, 0));
        assertThat(strategy.reserve(ReservationRequest.of(run, "bob")).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(ReservationRequest.of(run, "cy")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void extend_liveHold_movesItsExpiryEitherWay(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 1);
        long held = strategy.reserve(hold(run, "ada")).reservation().id();
        clock.advance(Duration.ofMinutes(8));

        assertThat(strategy.extend(held, TEN_MINUTES)).isEqualTo(HoldStatus.EXTENDED);
        clock.advance(Duration.ofMinutes(9));
        assertThat(strategy.availability(run)).as("17 minutes in, 9 after the extension").contains(new Availability(run, 1, 1, 1));
        assertThat(strategy.extend(held, Duration.ofSeconds(30))).as("shorter").isEqualTo(HoldStatus.EXTENDED);
        clock.advance(Duration.ofSeconds(30));

        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 0, 0));
        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.EXPIRED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void release_liveHold_voidsItOnce(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 1);
        long held = strategy.reserve(hold(run, "ada")).reservation().id();

        assertThat(strategy.release(held)).isTrue();
        assertThat(strategy.release(held)).isFalse();
        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.RELEASED);
        assertThat(strategy.extend(held, TEN_MINUTES)).isEqualTo(HoldStatus.RELEASED);
        clock.advance(TEN_MINUTES);

        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 0, 0));
        assertThat(strategy.reserve(ReservationRequest.of(run, "bob")).status()).isEqualTo(RESERVED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void confirm_ofWhatIsNoHold_saysWhatItIs(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 2);
        long permanent = strategy.reserve(ReservationRequest.of(run, "ada")).reservation().id();
        long released = strategy.reserve(ReservationRequest.of(run, "bob")).reservation().id();
        strategy.release(released);

        assertThat(strategy.confirm(permanent)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        assertThat(strategy.confirm(released)).isEqualTo(HoldStatus.RELEASED);
        assertThat(strategy.confirm(Long.MAX_VALUE)).isEqualTo(HoldStatus.UNKNOWN_RESERVATION);
        assertThat(strategy.extend(Long.MAX_VALUE, TEN_MINUTES)).isEqualTo(HoldStatus.UNKNOWN_RESERVATION);
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 1, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void holds_ofSeveralExpiries_comeBackEachAtItsOwnTime(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 5);
        strategy.reserve(ReservationRequest.of(run, "a").withQuantity(2).withHold(Duration.ofMinutes(1)));
        strategy.reserve(ReservationRequest.of(run, "b").withQuantity(2).withHold(Duration.ofMinutes(2)));
        strategy.reserve(ReservationRequest.of(run, "c"));
        assertThat(strategy.reserve(ReservationRequest.of(run, "d")).status()).isEqualTo(INSUFFICIENT_CAPACITY);

        clock.advance(Duration.ofMinutes(1));
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 3, 2));
        assertThat(strategy.reserve(ReservationRequest.of(run, "d").withQuantity(3)).status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(strategy.reserve(ReservationRequest.of(run, "d").withQuantity(2)).status()).isEqualTo(RESERVED);

        clock.advance(Duration.ofMinutes(1));
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 3, 0));
        assertThat(strategy.reserve(ReservationRequest.of(run, "e").withQuantity(2)).status()).isEqualTo(RESERVED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 5, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void keyedHold_sentAgainAfterItExpired_isReplayedWithItsPastExpiry(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        String key = newId("cart");
        strategy.define(run, 1);
        Reservation original = strategy.reserve(hold(run, "ada").withIdempotencyKey(key)).reservation();
        clock.advance(TEN_MINUTES.plusMinutes(1));

        ReservationResult again = strategy.reserve(hold(run, "ada").withIdempotencyKey(key));

        assertThat(again.status()).isEqualTo(REPLAYED);
        assertThat(again.reservation()).isEqualTo(original);
        assertThat(again.reservation().expiresAt()).contains(original.createdAt().plus(TEN_MINUTES));
        assertThat(strategy.availability(run)).as("the replay holds nothing").contains(new Availability(run, 1, 0, 0));
        assertThat(strategy.confirm(original.id())).isEqualTo(HoldStatus.EXPIRED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void hold_withATtlBeyondTheLatestExpiry_isRefusedBeforeAnythingIsWritten(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 1);
        long held = strategy.reserve(hold(run, "ada")).reservation().id();
        Duration tooLong = Duration.between(clock.instant(), ReservationRequest.LATEST_HOLD_EXPIRY).plusSeconds(1);

        assertThatThrownBy(() -> strategy.reserve(ReservationRequest.of(run, "bob").withHold(tooLong)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("ttl ");
        assertThatThrownBy(() -> strategy.extend(held, tooLong))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("ttl ");
        assertThatThrownBy(() -> strategy.extend(held, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be positive");
        assertThatThrownBy(() -> strategy.extend(held, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("ttl must not be null");
        assertThatThrownBy(() -> strategy.confirm(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reservationId");
        assertThatThrownBy(() -> strategy.extend(-1, TEN_MINUTES)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reservationId");

        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 1, 1));
        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.CONFIRMED);
    }
}
