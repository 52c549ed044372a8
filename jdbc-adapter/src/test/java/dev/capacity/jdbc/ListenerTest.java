package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.Reservation;
import dev.capacity.ReservationListener;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.FaultyDataSource;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** Every strategy reports what it did to its listener, and a failing listener changes nothing. */
@ExtendWith(LedgersAddUp.class)
final class ListenerTest {

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.all();
    }

    /** Records events as short strings. */
    static final class Recorder implements ReservationListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void onReserved(String strategy, ReservationRequest request, ReservationResult result) {
            events.add(strategy + " " + result.status() + " " + request.holderId());
        }

        @Override
        public void onRejected(String strategy, ReservationRequest request, ReservationResult result) {
            events.add(strategy + " " + result.status() + " " + request.holderId());
        }

        @Override
        public void onRetried(String strategy, ReservationRequest request, int attempt, Duration backoff, String reason) {
            events.add(strategy + " RETRIED " + request.holderId() + " after attempt " + attempt);
        }

        @Override
        public void onReleased(String strategy, long reservationId) {
            events.add(strategy + " RELEASED");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void listener_hearsReservedRejectedAndReleased(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        ReservationStrategy strategy = fixture.strategy(StrategyOptions.builder().listener(recorder).build());
        String name = strategy.name();
        String run = newId("run");
        strategy.define(run, 1);
        ReservationRequest keyed = ReservationRequest.of(run, "a").withIdempotencyKey(newId("key"));

        Reservation held = strategy.reserve(keyed).reservation();
        strategy.reserve(keyed);
        strategy.reserve(ReservationRequest.of(run, "b"));
        strategy.reserve(ReservationRequest.of(newId("missing"), "c"));
        strategy.release(held.id());
        strategy.release(held.id());

        assertThat(recorder.events).containsExactly(name + " RESERVED a", name + " REPLAYED a",
                name + " INSUFFICIENT_CAPACITY b", name + " UNKNOWN_RESOURCE c", name + " RELEASED");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void listener_thatThrows_changesNoOutcome(StrategyFixture fixture) {
        ReservationListener failing = new ReservationListener() {
            @Override
            public void onReserved(String strategy, ReservationRequest request, ReservationResult result) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onReleased(String strategy, long reservationId) {
                throw new IllegalStateException("listener bug");
            }
        };
        ReservationStrategy strategy = fixture.strategy(StrategyOptions.builder().listener(failing).build());
        String run = newId("run");
        strategy.define(run, 1);

        ReservationResult result = strategy.reserve(ReservationRequest.of(run, "a"));

        assertThat(result.isReserved()).isTrue();
        assertThat(strategy.release(result.reservation().id())).isTrue();
        assertThat(strategy.availability(run).orElseThrow().reserved()).isZero();
    }

    static Stream<StrategyFixture> databaseFixtures() {
        return StrategyFixture.onDatabases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void listener_hearsTheRetryOfALostCommit(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        FaultyDataSource faulty = new FaultyDataSource(fixture.database().pool().dataSource());
        fixture.jdbi();
        ReservationStrategy strategy = JdbiStrategies.of(fixture.kind(), Jdbi.create(faulty),
                StrategyOptions.builder().listener(recorder).build());
        String run = newId("run");
        strategy.define(run, 1);

        faulty.failNextCommits(1, FaultyDataSource.CommitFault.INSTEAD_OF_COMMIT);
        strategy.reserve(ReservationRequest.of(run, "a").withIdempotencyKey(newId("key")));

        String name = strategy.name();
        assertThat(recorder.events).containsExactly(name + " RETRIED a after attempt 1", name + " RESERVED a");
    }
}
