package dev.capacity.testing;

import static dev.capacity.ReservationResult.Status.HOLDER_LIMIT_REACHED;
import static dev.capacity.ReservationResult.Status.IDEMPOTENCY_KEY_CONFLICT;
import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;

import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.stream.Stream;

/**
 * Limits per holder, the same for every strategy: the units a holder has live on a limited
 * resource (permanent ones and live holds) never exceed the limit; released and expired units no
 * longer count; when a request meets both a full resource and a reached limit, the capacity
 * answers first ({@code INSUFFICIENT_CAPACITY}), as it does without a limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class LimitContract {

    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    /** The strategies every test runs against, once each. */
    protected abstract Stream<StrategyUnderTest> strategies();

    private static ReservationStrategy on(StrategyUnderTest underTest, MutableClock clock) {
        return underTest.create(StrategyOptions.builder().clock(clock).build());
    }

    private static ReservationRequest one(String resourceId, String holderId) {
        return ReservationRequest.of(resourceId, holderId);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void limit_refusesTheUnitsThatWouldTakeAHolderPastIt(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 10);
        strategy.limitPerHolder(run, 2);

        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(RESERVED);
        ReservationResult third = strategy.reserve(one(run, "ada").withQuantity(2));
        assertThat(third.status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(third.reservation()).isNull();
        assertThat(third.available()).as("what the resource has left, unchanged").isIn(9L, ReservationResult.UNKNOWN_AVAILABLE);
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);

        assertThat(strategy.reserve(one(run, "bob").withQuantity(2)).status()).as("another holder").isEqualTo(RESERVED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 4));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void limit_aQuantityOverTheLimit_isRefusedWhateverIsFree(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 10);
        strategy.limitPerHolder(run, 4);

        assertThat(strategy.reserve(one(run, "ada").withQuantity(5)).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.reserve(one(run, "ada").withQuantity(4)).status()).isEqualTo(RESERVED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 4));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void limit_whenTheResourceIsFullToo_theCapacityAnswers(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 2);
        strategy.limitPerHolder(run, 1);
        strategy.reserve(one(run, "ada"));
        strategy.reserve(one(run, "bob"));

        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void release_givesTheHolderTheirUnitsBack(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 10);
        strategy.limitPerHolder(run, 3);
        long first = strategy.reserve(one(run, "ada").withQuantity(2)).reservation().id();
        strategy.reserve(one(run, "ada"));
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);

        assertThat(strategy.release(first)).isTrue();
        assertThat(strategy.release(first)).as("a second release gives nothing back").isFalse();

        assertThat(strategy.reserve(one(run, "ada").withQuantity(2)).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void holds_countWhileLive_andNoLongerOnceExpired_sweptOrNot(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 10);
        strategy.limitPerHolder(run, 2);
        long held = strategy.reserve(one(run, "ada").withQuantity(2).withHold(TEN_MINUTES)).reservation().id();
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        clock.advance(TEN_MINUTES.minusSeconds(1));
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);

        clock.advance(Duration.ofSeconds(1));

        assertThat(strategy.reserve(one(run, "ada").withQuantity(2)).status()).as("the hold expired, unswept")
                .isEqualTo(RESERVED);
        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 2, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void confirm_keepsTheUnitsCounted(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String run = newId("run");
        strategy.define(run, 10);
        strategy.limitPerHolder(run, 1);
        long held = strategy.reserve(one(run, "ada").withHold(TEN_MINUTES)).reservation().id();

        assertThat(strategy.confirm(held)).isEqualTo(HoldStatus.CONFIRMED);
        clock.advance(TEN_MINUTES);

        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.release(held)).isTrue();
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(RESERVED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void keyedRequest_sentAgainAtTheLimit_isReplayedNotRefused(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 10);
        strategy.limitPerHolder(run, 2);
        String key = newId("key");
        ReservationResult first = strategy.reserve(one(run, "ada").withQuantity(2).withIdempotencyKey(key));

        ReservationResult again = strategy.reserve(one(run, "ada").withQuantity(2).withIdempotencyKey(key));
        ReservationResult conflicting = strategy.reserve(one(run, "ada").withQuantity(1).withIdempotencyKey(key));

        assertThat(again.status()).isEqualTo(REPLAYED);
        assertThat(again.reservation()).isEqualTo(first.reservation());
        assertThat(conflicting.status()).isEqualTo(IDEMPOTENCY_KEY_CONFLICT);
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void limit_setAfterReservations_countsThemAndKeepsThem(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 10);
        long kept = strategy.reserve(one(run, "ada").withQuantity(3)).reservation().id();
        strategy.reserve(one(run, "bob"));

        strategy.limitPerHolder(run, 2);

        assertThat(strategy.reserve(one(run, "ada")).status()).as("over the new limit already").isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.reserve(one(run, "bob")).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(one(run, "bob")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.availability(run)).as("nothing was taken from anyone").contains(new Availability(run, 10, 5));
        assertThat(strategy.release(kept)).isTrue();
        assertThat(strategy.reserve(one(run, "ada").withQuantity(2)).status()).isEqualTo(RESERVED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void limit_raisedLoweredAndRemoved_judgesTheNextRequestByTheNewLimit(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 10);
        strategy.limitPerHolder(run, 1);
        strategy.reserve(one(run, "ada"));

        strategy.limitPerHolder(run, 3);
        assertThat(strategy.reserve(one(run, "ada").withQuantity(2)).status()).isEqualTo(RESERVED);
        strategy.limitPerHolder(run, 2);
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        strategy.limitPerHolder(run, Long.MAX_VALUE);
        assertThat(strategy.reserve(one(run, "ada").withQuantity(4)).status()).isEqualTo(RESERVED);
        strategy.limitPerHolder(run, 8);  // re-counted: ada has 7 live
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(one(run, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void limit_isPerResource(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String limited = newId("run");
        String open = newId("run");
        strategy.define(limited, 10);
        strategy.define(open, 10);
        strategy.limitPerHolder(limited, 1);
        strategy.reserve(one(limited, "ada"));

        assertThat(strategy.reserve(one(open, "ada").withQuantity(5)).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(one(limited, "ada")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        strategy.resize(limited, 20);
        assertThat(strategy.reserve(one(limited, "ada")).status()).as("a resize keeps the limit").isEqualTo(HOLDER_LIMIT_REACHED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void limitPerHolder_badInput_isRefusedNamingTheArgumentAndChangesNothing(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String run = newId("run");
        strategy.define(run, 10);
        strategy.limitPerHolder(run, 2);

        assertThatThrownBy(() -> strategy.limitPerHolder(run, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxUnits");
        assertThatThrownBy(() -> strategy.limitPerHolder(run, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxUnits");
        assertThatThrownBy(() -> strategy.limitPerHolder(null, 2))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("resourceId");
        String unknown = newId("nowhere");
        assertThatThrownBy(() -> strategy.limitPerHolder(unknown, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(unknown);
        assertThat(strategy.availability(unknown)).isEmpty();

        strategy.reserve(one(run, "ada").withQuantity(2));
        assertThat(strategy.reserve(one(run, "ada")).status()).as("the limit is still 2").isEqualTo(HOLDER_LIMIT_REACHED);
    }
}
