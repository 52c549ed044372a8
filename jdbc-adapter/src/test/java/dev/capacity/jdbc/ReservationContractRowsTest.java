package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.IDEMPOTENCY_KEY_CONFLICT;
import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.ReservationResult.Status.UNKNOWN_RESOURCE;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult.Status;
import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.testing.Ledger;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

/**
 * What the contract's answers leave in the tables, for every JDBI strategy on every database: a
 * refused request writes no row, a replay no second one, a second release marks nothing. The
 * answers themselves are the contract's ({@link ReservationContractTest}).
 */
@ExtendWith(LedgersAddUp.class)
final class ReservationContractRowsTest {

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.onDatabases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_refused_writesNoRow(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy();
        String run = newId("run");
        String missing = newId("missing");
        strategy.define(run, 3);

        List<Status> answers = answers(strategy,
                ReservationRequest.of(run, "h").withQuantity(2),
                ReservationRequest.of(run, "h").withQuantity(2),
                ReservationRequest.of(run, "h").withQuantity(4),
                ReservationRequest.of(missing, "h").withIdempotencyKey(newId("key")));

        assertThat(answers).containsExactly(RESERVED, INSUFFICIENT_CAPACITY, INSUFFICIENT_CAPACITY, UNKNOWN_RESOURCE);
        assertThat(fixture.ledger(run).reservationRows()).isEqualTo(1);
        Ledger unknown = fixture.ledger(missing);
        assertThat(unknown.family()).isNull();
        assertThat(unknown.reservationRows()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserve_replayedOrConflicting_writesNoSecondRow(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy();
        String run = newId("run");
        String otherRun = newId("run");
        strategy.define(run, 5);
        strategy.define(otherRun, 5);
        String key = newId("key");
        ReservationRequest request = ReservationRequest.of(run, "h").withIdempotencyKey(key);

        List<Status> answers = answers(strategy, request, request, request.withQuantity(2),
                ReservationRequest.of(run, "someone-else").withIdempotencyKey(key),
                ReservationRequest.of(otherRun, "h").withIdempotencyKey(key));

        assertThat(answers).containsExactly(RESERVED, REPLAYED, IDEMPOTENCY_KEY_CONFLICT, IDEMPOTENCY_KEY_CONFLICT,
                IDEMPOTENCY_KEY_CONFLICT);
        assertThat(fixture.ledger(run).reservationRows()).isEqualTo(1);
        assertThat(fixture.ledger(otherRun).reservationRows()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void release_twice_marksOneRowReleased(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy();
        String run = newId("run");
        strategy.define(run, 5);
        long held = strategy.reserve(ReservationRequest.of(run, "h").withQuantity(2)).reservation().id();
        strategy.reserve(ReservationRequest.of(run, "other"));

        assertThat(List.of(strategy.release(held), strategy.release(held))).containsExactly(true, false);

        Ledger ledger = fixture.ledger(run);
        assertThat(ledger.reservationRows()).isEqualTo(2);
        assertThat(ledger.releasedRows()).isEqualTo(1);
    }

    private static List<Status> answers(ReservationStrategy strategy, ReservationRequest... requests) {
        return Stream.of(requests).map(request -> strategy.reserve(request).status()).toList();
    }
}
