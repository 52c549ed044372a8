package dev.capacity.testing;

import static dev.capacity.ReservationResult.Status.IDEMPOTENCY_KEY_CONFLICT;
import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.ReservationResult.Status.UNKNOWN_RESOURCE;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The contract every strategy keeps, asserted the same way for each: what it answers, and what it
 * reports as available afterwards. A module runs it by extending this class and naming the
 * strategies it has; core runs it for the in-memory strategy, the JDBC adapter for each strategy
 * on each database (where it also checks what the answers leave in the tables).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ReservationContract {

    /** The strategies every test runs against, once each. */
    protected abstract Stream<StrategyUnderTest> strategies();

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_quantitiesAboveOne_fillExactlyToCapacity(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 10);

        List<ReservationResult> granted = new ArrayList<>();
        for (int quantity : new int[] {3, 3, 3}) {
            ReservationResult result = strategy.reserve(ReservationRequest.of(run, "h").withQuantity(quantity));
            assertThat(result.status()).isEqualTo(RESERVED);
            assertThat(result.reservation().quantity()).isEqualTo(quantity);
            granted.add(result);
        }
        ReservationResult tooMany = strategy.reserve(ReservationRequest.of(run, "h").withQuantity(2));
        assertThat(tooMany.status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(tooMany.reservationIfAny()).isEmpty();
        assertThat(tooMany.available()).isEqualTo(1);
        ReservationResult last = strategy.reserve(ReservationRequest.of(run, "h"));
        assertThat(last.status()).isEqualTo(RESERVED);
        ReservationResult full = strategy.reserve(ReservationRequest.of(run, "h"));
        assertThat(full.status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(full.available()).isZero();

        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 10));
        assertThat(granted).extracting(r -> r.reservation().id()).doesNotHaveDuplicates();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_quantityAboveCapacity_isInsufficientAndWritesNothing(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 3);

        ReservationResult result = strategy.reserve(ReservationRequest.of(run, "h").withQuantity(4));

        assertThat(result.status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(result.available()).isEqualTo(3);
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_zeroCapacity_isInsufficient(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 0);

        assertThat(strategy.reserve(ReservationRequest.of(run, "h")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(strategy.availability(run)).contains(new Availability(run, 0, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void release_twice_returnsUnitsOnceAndThenFalse(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 5);
        Reservation held = strategy.reserve(ReservationRequest.of(run, "h").withQuantity(2)).reservation();
        strategy.reserve(ReservationRequest.of(run, "other"));

        assertThat(strategy.release(held.id())).isTrue();
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 1));
        assertThat(strategy.release(held.id())).isFalse();
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 1));

    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void release_freedUnits_canBeReservedAgain(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 2);
        Reservation first = strategy.reserve(ReservationRequest.of(run, "a")).reservation();
        strategy.reserve(ReservationRequest.of(run, "b"));
        assertThat(strategy.reserve(ReservationRequest.of(run, "c")).status()).isEqualTo(INSUFFICIENT_CAPACITY);

        strategy.release(first.id());

        assertThat(strategy.reserve(ReservationRequest.of(run, "c")).status()).isEqualTo(RESERVED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void release_idNeverIssued_returnsFalse(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();

        assertThat(strategy.release(Long.MAX_VALUE)).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_unknownResource_isUnknownAndWritesNothing(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String missing = newId("missing");

        ReservationResult result = strategy.reserve(ReservationRequest.of(missing, "h").withIdempotencyKey(newId("k")));

        assertThat(result.status()).isEqualTo(UNKNOWN_RESOURCE);
        assertThat(result.reservationIfAny()).isEmpty();
        assertThat(strategy.availability(missing)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void resize_unknownResource_isRejectedNamingIt(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String missing = newId("missing");

        assertThatThrownBy(() -> strategy.resize(missing, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing);
        assertThat(strategy.availability(missing)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_sameKeySameRequest_isReplayedWithTheOriginal(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 5);
        ReservationRequest request = ReservationRequest.of(run, "h").withQuantity(2).withIdempotencyKey(newId("key"));

        ReservationResult first = strategy.reserve(request);
        ReservationResult again = strategy.reserve(request);

        assertThat(first.status()).isEqualTo(RESERVED);
        assertThat(again.status()).isEqualTo(REPLAYED);
        assertThat(again.isReserved()).isTrue();
        assertThat(again.reservation()).isEqualTo(first.reservation());
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_sameKeyOnFullResource_isStillReplayed(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 1);
        ReservationRequest request = ReservationRequest.of(run, "h").withIdempotencyKey(newId("key"));
        strategy.reserve(request);

        assertThat(strategy.reserve(request).status()).isEqualTo(REPLAYED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_sameKeyOtherParameters_isConflictAndWritesNothing(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        String otherRun = newId("run");
        strategy.define(run, 5);
        strategy.define(otherRun, 5);
        String key = newId("key");
        strategy.reserve(ReservationRequest.of(run, "h").withIdempotencyKey(key));

        List<ReservationRequest> conflicting = List.of(
                ReservationRequest.of(run, "h").withQuantity(2).withIdempotencyKey(key),
                ReservationRequest.of(run, "someone-else").withIdempotencyKey(key),
                ReservationRequest.of(otherRun, "h").withIdempotencyKey(key));
        for (ReservationRequest request : conflicting) {
            ReservationResult result = strategy.reserve(request);
            assertThat(result.status()).as("%s", request).isEqualTo(IDEMPOTENCY_KEY_CONFLICT);
            assertThat(result.reservationIfAny()).isEmpty();
        }

        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 1));
        assertThat(strategy.availability(otherRun)).contains(new Availability(otherRun, 5, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_keyRefusedForCapacity_staysUsableLater(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 1);
        Reservation blocker = strategy.reserve(ReservationRequest.of(run, "other")).reservation();
        ReservationRequest request = ReservationRequest.of(run, "h").withIdempotencyKey(newId("key"));

        assertThat(strategy.reserve(request).status()).isEqualTo(INSUFFICIENT_CAPACITY);
        strategy.release(blocker.id());

        assertThat(strategy.reserve(request).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(request).status()).isEqualTo(REPLAYED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_keyOfReleasedReservation_isReplayedNotGrantedAgain(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 3);
        ReservationRequest request = ReservationRequest.of(run, "h").withIdempotencyKey(newId("key"));
        Reservation original = strategy.reserve(request).reservation();
        strategy.release(original.id());

        ReservationResult again = strategy.reserve(request);

        assertThat(again.status()).isEqualTo(REPLAYED);
        assertThat(again.reservation()).isEqualTo(original);
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void resize_grow_takesEffectAtOnce(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 1);
        strategy.reserve(ReservationRequest.of(run, "a"));
        assertThat(strategy.reserve(ReservationRequest.of(run, "b")).status()).isEqualTo(INSUFFICIENT_CAPACITY);

        strategy.resize(run, 3);

        assertThat(strategy.reserve(ReservationRequest.of(run, "b").withQuantity(2)).status()).isEqualTo(RESERVED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void resize_shrinkBelowReserved_keepsReservationsAndRefusesUntilReleased(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 6);
        List<Reservation> held = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            held.add(strategy.reserve(ReservationRequest.of(run, "h" + i)).reservation());
        }

        strategy.resize(run, 2);

        Availability shrunk = strategy.availability(run).orElseThrow();
        assertThat(shrunk).isEqualTo(new Availability(run, 2, 5));
        assertThat(shrunk.available()).isZero();
        assertThat(strategy.reserve(ReservationRequest.of(run, "new")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
        // releases below the new capacity do not open room while more than capacity is held
        for (int i = 0; i < 3; i++) {
            assertThat(strategy.release(held.get(i).id())).isTrue();
            assertThat(strategy.reserve(ReservationRequest.of(run, "new")).status())
                    .as("after %d releases", i + 1).isEqualTo(INSUFFICIENT_CAPACITY);
        }
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 2));
        assertThat(strategy.release(held.get(3).id())).isTrue();
        assertThat(strategy.reserve(ReservationRequest.of(run, "new")).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(ReservationRequest.of(run, "newer")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void define_sameCapacityTwice_isNoOp(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 4);
        strategy.reserve(ReservationRequest.of(run, "h"));

        strategy.define(run, 4);

        assertThat(strategy.availability(run)).contains(new Availability(run, 4, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void define_otherCapacity_isRejectedNamingBoth(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 4);

        assertThatThrownBy(() -> strategy.define(run, 5))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(run).hasMessageContaining("4").hasMessageContaining("5");
        assertThat(strategy.availability(run)).contains(new Availability(run, 4, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserve_result_describesTheReservation(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 5);
        String key = newId("key");

        ReservationResult result = strategy.reserve(new ReservationRequest(run, "holder-1", 2, key));

        Reservation reservation = result.reservation();
        assertThat(reservation.id()).isPositive();
        assertThat(reservation.resourceId()).isEqualTo(run);
        assertThat(reservation.holderId()).isEqualTo("holder-1");
        assertThat(reservation.quantity()).isEqualTo(2);
        assertThat(reservation.idempotencyKey()).isEqualTo(key);
        assertThat(reservation.createdAt()).isNotNull();
        assertThat(result.attempts()).isGreaterThanOrEqualTo(1);
        assertThat(result.available()).isIn(3L, ReservationResult.UNKNOWN_AVAILABLE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void adjust_growAndShrink_changeTheCapacityByTheDelta(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 2);
        strategy.reserve(ReservationRequest.of(run, "a").withQuantity(2));

        assertThat(strategy.adjust(run, 3)).isEqualTo(5);
        assertThat(strategy.reserve(ReservationRequest.of(run, "b").withQuantity(3)).status()).isEqualTo(RESERVED);
        assertThat(strategy.adjust(run, -4)).isEqualTo(1);

        assertThat(strategy.availability(run)).contains(new Availability(run, 1, 5));
        assertThat(strategy.reserve(ReservationRequest.of(run, "c")).status()).isEqualTo(INSUFFICIENT_CAPACITY);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void adjust_belowZeroOrOverflowing_isRejectedAndChangesNothing(StrategyUnderTest underTest) {
        ReservationStrategy strategy = underTest.create();
        String run = newId("run");
        strategy.define(run, 3);

        assertThatThrownBy(() -> strategy.adjust(run, -4))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(run).hasMessageContaining("shrink by 4");
        assertThatThrownBy(() -> strategy.adjust(run, Long.MAX_VALUE))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("overflows");
        assertThatThrownBy(() -> strategy.adjust(newId("missing"), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not defined");

        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 0));
    }
}
