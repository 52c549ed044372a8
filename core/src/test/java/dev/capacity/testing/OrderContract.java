package dev.capacity.testing;

import static dev.capacity.ReservationResult.Status.HOLDER_LIMIT_REACHED;
import static dev.capacity.ReservationResult.Status.IDEMPOTENCY_KEY_CONFLICT;
import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.ReservationResult.Status.UNKNOWN_RESOURCE;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;

import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * Orders, the same for every strategy: every line granted or none, lines of one resource counted
 * together, a refusal naming a line that cannot be met, an order sent again with keyed lines
 * replayed, never granted twice or half.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class OrderContract {

    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    /** The strategies every test runs against, once each. */
    protected abstract Stream<StrategyUnderTest> strategies();

    private static ReservationStrategy on(StrategyUnderTest underTest, MutableClock clock) {
        return underTest.create(StrategyOptions.builder().clock(clock).build());
    }

    private static ReservationRequest line(String resourceId, String holderId, int quantity) {
        return ReservationRequest.of(resourceId, holderId).withQuantity(quantity);
    }

    private static void assertNothingReserved(ReservationStrategy strategy, String... resourceIds) {
        for (String id : resourceIds) {
            assertThat(strategy.availability(id).orElseThrow().reserved()).as("reserved on %s", id).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_everyLineFits_grantsEveryLineInLineOrder(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        String parking = newId("parking");
        strategy.define(seats, 3);
        strategy.define(parking, 2);
        List<ReservationRequest> lines = List.of(line(parking, "ada", 1), line(seats, "ada", 2), line(seats, "ada", 1));

        OrderResult order = strategy.reserveAll(lines);

        assertThat(order.status()).isEqualTo(RESERVED);
        assertThat(order.isReserved()).isTrue();
        assertThat(order.failedLine()).isEqualTo(OrderResult.NO_LINE);
        assertThat(order.reservations()).hasSize(3);
        for (int i = 0; i < lines.size(); i++) {
            Reservation r = order.reservations().get(i);
            assertThat(lines.get(i).matches(r)).as("line %d: %s", i, r).isTrue();
        }
        assertThat(order.reservations()).extracting(Reservation::id).doesNotHaveDuplicates();
        assertThat(strategy.availability(seats)).contains(new Availability(seats, 3, 3));
        assertThat(strategy.availability(parking)).contains(new Availability(parking, 2, 1));
        assertThat(strategy.release(order.reservations().get(1).id())).as("each line is a reservation of its own").isTrue();
        assertThat(strategy.availability(seats)).contains(new Availability(seats, 3, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_oneLineDoesNotFit_grantsNoneAndNamesThatLine(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        String parking = newId("parking");
        strategy.define(seats, 5);
        strategy.define(parking, 1);

        OrderResult order = strategy.reserveAll(List.of(line(seats, "ada", 2), line(parking, "ada", 2)));

        assertThat(order.status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(order.failedLine()).isEqualTo(1);
        assertThat(order.reservations()).isEmpty();
        assertThat(order.isReserved()).isFalse();
        assertNothingReserved(strategy, seats, parking);
        assertThat(strategy.reserveAll(List.of(line(seats, "ada", 2), line(parking, "ada", 1))).status())
                .isEqualTo(RESERVED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_linesOfOneResource_countTogether(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        strategy.define(seats, 3);

        OrderResult order = strategy.reserveAll(List.of(line(seats, "ada", 2), line(seats, "bob", 2)));

        assertThat(order.status()).as("2 + 2 > 3, though each line fits alone").isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(order.failedLine()).as("the first line of the resource").isZero();
        assertNothingReserved(strategy, seats);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_withAnUnknownResource_grantsNoneAndNamesItsLine(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        String nowhere = newId("nowhere");
        strategy.define(seats, 3);

        OrderResult order = strategy.reserveAll(List.of(line(seats, "ada", 1), line(nowhere, "ada", 1)));

        assertThat(order.status()).isEqualTo(UNKNOWN_RESOURCE);
        assertThat(order.failedLine()).isEqualTo(1);
        assertNothingReserved(strategy, seats);
        assertThat(strategy.availability(nowhere)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_ofHoldsAndPermanentLines_eachLineEndsOnItsOwn(StrategyUnderTest underTest) {
        MutableClock clock = MutableClock.start();
        ReservationStrategy strategy = on(underTest, clock);
        String seats = newId("seats");
        String parking = newId("parking");
        strategy.define(seats, 2);
        strategy.define(parking, 1);

        OrderResult order = strategy.reserveAll(List.of(line(seats, "ada", 2).withHold(TEN_MINUTES), line(parking, "ada", 1)));

        assertThat(order.status()).isEqualTo(RESERVED);
        assertThat(order.reservations().get(0).expiresAt()).contains(clock.instant().plus(TEN_MINUTES));
        assertThat(order.reservations().get(1).expiresAt()).isEmpty();
        assertThat(strategy.availability(seats)).contains(new Availability(seats, 2, 2, 2));
        clock.advance(TEN_MINUTES);
        assertThat(strategy.availability(seats)).contains(new Availability(seats, 2, 0, 0));
        assertThat(strategy.confirm(order.reservations().get(0).id())).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.availability(parking)).contains(new Availability(parking, 1, 1, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_sentAgainWithEveryLineKeyed_isReplayedWithTheSameReservations(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        String parking = newId("parking");
        strategy.define(seats, 2);
        strategy.define(parking, 1);
        String order = newId("order");
        List<ReservationRequest> lines = List.of(line(seats, "ada", 2).withIdempotencyKey(order + "/1"),
                line(parking, "ada", 1).withIdempotencyKey(order + "/2"));
        OrderResult first = strategy.reserveAll(lines);

        OrderResult again = strategy.reserveAll(lines);
        OrderResult reordered = strategy.reserveAll(List.of(lines.get(1), lines.get(0)));

        assertThat(first.status()).isEqualTo(RESERVED);
        assertThat(again.status()).isEqualTo(REPLAYED);
        assertThat(again.reservations()).isEqualTo(first.reservations());
        assertThat(reordered.status()).isEqualTo(REPLAYED);
        assertThat(reordered.reservations()).containsExactly(first.reservations().get(1), first.reservations().get(0));
        assertThat(strategy.availability(seats)).contains(new Availability(seats, 2, 2));
        assertThat(strategy.availability(parking)).contains(new Availability(parking, 1, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_repeatingSomeKeysButNotAllLines_isAConflictNamingTheLine(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        String parking = newId("parking");
        strategy.define(seats, 5);
        strategy.define(parking, 5);
        String key = newId("key");
        strategy.reserveAll(List.of(line(seats, "ada", 1).withIdempotencyKey(key), line(parking, "ada", 1)));

        OrderResult unkeyedLine = strategy.reserveAll(List.of(line(seats, "ada", 1).withIdempotencyKey(key),
                line(parking, "ada", 1)));
        OrderResult otherQuantity = strategy.reserveAll(List.of(line(parking, "ada", 1).withIdempotencyKey(newId("key")),
                line(seats, "ada", 2).withIdempotencyKey(key)));
        OrderResult newKeyBeside = strategy.reserveAll(List.of(line(seats, "ada", 1).withIdempotencyKey(key),
                line(parking, "ada", 1).withIdempotencyKey(newId("key"))));

        assertThat(unkeyedLine.status()).isEqualTo(IDEMPOTENCY_KEY_CONFLICT);
        assertThat(unkeyedLine.failedLine()).as("an unkeyed line matches nothing").isEqualTo(1);
        assertThat(otherQuantity.status()).isEqualTo(IDEMPOTENCY_KEY_CONFLICT);
        assertThat(otherQuantity.failedLine()).isZero();
        assertThat(newKeyBeside.status()).isEqualTo(IDEMPOTENCY_KEY_CONFLICT);
        assertThat(newKeyBeside.failedLine()).as("a key never used: not the order sent before").isEqualTo(1);
        assertThat(strategy.availability(seats)).contains(new Availability(seats, 5, 1));
        assertThat(strategy.availability(parking)).contains(new Availability(parking, 5, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_overAHoldersLimit_countsTheHoldersLinesTogether(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        String parking = newId("parking");
        strategy.define(seats, 10);
        strategy.define(parking, 10);
        strategy.limitPerHolder(seats, 2);

        OrderResult over = strategy.reserveAll(List.of(line(parking, "ada", 5), line(seats, "ada", 1),
                line(seats, "ada", 2)));
        OrderResult twoHolders = strategy.reserveAll(List.of(line(seats, "ada", 2), line(seats, "bob", 2),
                line(parking, "ada", 5)));

        assertThat(over.status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(over.failedLine()).isEqualTo(1);
        assertThat(twoHolders.status()).isEqualTo(RESERVED);
        assertThat(strategy.availability(seats)).contains(new Availability(seats, 10, 4));
        assertThat(strategy.availability(parking)).contains(new Availability(parking, 10, 5));
        assertThat(strategy.reserve(line(seats, "bob", 1)).status()).isEqualTo(HOLDER_LIMIT_REACHED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void order_ofOneLine_isAReservation(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        strategy.define(seats, 1);

        OrderResult order = strategy.reserveAll(List.of(line(seats, "ada", 1)));

        assertThat(order.status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(line(seats, "bob", 1)).status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(strategy.reserveAll(List.of(line(seats, "bob", 1))).failedLine()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void reserveAll_badInput_isRefusedNamingTheArgumentBeforeAnythingIsWritten(StrategyUnderTest underTest) {
        ReservationStrategy strategy = on(underTest, MutableClock.start());
        String seats = newId("seats");
        strategy.define(seats, 500);
        ReservationRequest ok = line(seats, "ada", 1);
        List<ReservationRequest> tooMany = Collections.nCopies(OrderResult.MAX_LINES + 1, ok);
        List<ReservationRequest> withNull = new ArrayList<>(Arrays.asList(ok, null));

        assertThatThrownBy(() -> strategy.reserveAll(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("lines must not be null");
        assertThatThrownBy(() -> strategy.reserveAll(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lines must not be empty");
        assertThatThrownBy(() -> strategy.reserveAll(withNull)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("lines[1] must not be null");
        assertThatThrownBy(() -> strategy.reserveAll(tooMany)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lines must be at most " + OrderResult.MAX_LINES + ", was " + (OrderResult.MAX_LINES + 1));
        assertThatThrownBy(() -> strategy.reserveAll(List.of(ok.withIdempotencyKey("k"), ok, ok.withIdempotencyKey("k"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lines[0] and lines[2] carry the same idempotency key 'k'");
        assertThatThrownBy(() -> strategy.reserveAll(List.of(ok, ok.withHold(Duration.ofDays(366L * 8000)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is past the latest expiry");

        assertThat(strategy.availability(seats)).contains(new Availability(seats, 500, 0));
        assertThat(strategy.reserveAll(Collections.nCopies(OrderResult.MAX_LINES, ok)).status()).isEqualTo(RESERVED);
    }
}
