package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.HoldStatus;
import dev.capacity.Reservation;
import dev.capacity.ReservationListener;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.FaultyDataSource;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.Race;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.testing.MutableClock;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/** Every strategy reports what it did to its listener, and a failing listener changes nothing. */
@ExtendWith(LedgersAddUp.class)
final class ListenerTest {

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.all();
    }

    /** Records events as short strings; the times of reserve calls and the batches apart. */
    static final class Recorder implements ReservationListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<String> timed = new CopyOnWriteArrayList<>();
        final List<String> batches = new CopyOnWriteArrayList<>();
        final List<String> stock = new CopyOnWriteArrayList<>();

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

        @Override
        public void onHoldEnded(String strategy, long reservationId, HoldStatus how) {
            events.add(strategy + " HOLD " + reservationId + " " + how);
        }

        @Override
        public void onReserveTimed(String strategy, ReservationRequest request, ReservationResult result, Duration took) {
            assertThat(took.isNegative()).isFalse();
            timed.add(strategy + " " + result.status() + " " + request.holderId());
        }

        @Override
        public void onSoldOut(String strategy, String resourceId) {
            stock.add(strategy + " SOLD_OUT " + resourceId);
        }

        @Override
        public void onBackInStock(String strategy, String resourceId) {
            stock.add(strategy + " BACK " + resourceId);
        }

        @Override
        public void onBatch(String strategy, int size, int waiting) {
            assertThat(waiting).isNotNegative();
            batches.add(strategy + " " + size);
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
        // each reserve call timed once, after its outcome
        assertThat(recorder.timed).containsExactly(name + " RESERVED a", name + " REPLAYED a",
                name + " INSUFFICIENT_CAPACITY b", name + " UNKNOWN_RESOURCE c");
    }

    /** A strategy of {@code fixture} on a clock of its own, heard by a recorder, and a resource of {@code capacity} to hold. */
    private static final class Holds {
        final Recorder recorder = new Recorder();
        final MutableClock clock = MutableClock.start();
        final ReservationStrategy strategy;
        final String run = newId("run");

        Holds(StrategyFixture fixture, long capacity) {
            strategy = fixture.strategy(StrategyOptions.builder().listener(recorder).clock(clock).build());
            strategy.define(run, capacity);
        }

        /** A hold of five minutes for {@code holder}; its id. */
        long hold(String holder) {
            return strategy.reserve(ReservationRequest.of(run, holder).withHold(Duration.ofMinutes(5))).reservation().id();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void listener_hearsEachHoldEndOnce_confirmedReleasedAndExpired(StrategyFixture fixture) {
        Holds holds = new Holds(fixture, 3);
        Recorder recorder = holds.recorder;
        MutableClock clock = holds.clock;
        ReservationStrategy strategy = holds.strategy;
        String name = strategy.name();
        String run = holds.run;
        long confirmed = holds.hold("a");
        long released = holds.hold("b");
        long lapsed = holds.hold("c");

        assertThat(strategy.confirm(confirmed)).isEqualTo(HoldStatus.CONFIRMED);
        assertThat(strategy.confirm(confirmed)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        assertThat(strategy.release(released)).isTrue();
        clock.advance(Duration.ofMinutes(6));
        // two units: only with the expired hold's unit taken back
        assertThat(strategy.reserve(ReservationRequest.of(run, "d").withQuantity(2)).isReserved()).isTrue();
        assertThat(strategy.confirm(lapsed)).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.release(lapsed)).isFalse();

        assertThat(recorder.events).containsExactly(name + " RESERVED a", name + " RESERVED b", name + " RESERVED c",
                name + " HOLD " + confirmed + " CONFIRMED", name + " HOLD " + released + " RELEASED", name + " RELEASED",
                name + " HOLD " + lapsed + " EXPIRED", name + " RESERVED d");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void listener_hearsAHoldEndedByExpiry_whenAConfirmOrAReleaseComesLate(StrategyFixture fixture) {
        Holds holds = new Holds(fixture, 5);
        Recorder recorder = holds.recorder;
        ReservationStrategy strategy = holds.strategy;
        String name = strategy.name();
        long confirmedLate = holds.hold("a");
        long releasedLate = holds.hold("b");
        holds.clock.advance(Duration.ofMinutes(6));
        recorder.events.clear();

        assertThat(strategy.confirm(confirmedLate)).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.confirm(confirmedLate)).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.release(releasedLate)).isFalse();
        assertThat(strategy.release(releasedLate)).isFalse();

        assertThat(recorder.events).containsExactly(name + " HOLD " + confirmedLate + " EXPIRED",
                name + " HOLD " + releasedLate + " EXPIRED");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void sweep_countsTheHoldsItEnds_andTheListenerHearsEachOnce(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        MutableClock clock = MutableClock.start();
        // tables of its own: a sweep ends the expired holds of every resource, other tests' too
        String prefix = "listen_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL) + "_";
        JdbiReservationStrategy strategy = (JdbiReservationStrategy) fixture.strategy(
                StrategyOptions.builder().listener(recorder).clock(clock).tablePrefix(prefix).build());
        String name = strategy.name();
        String run = newId("run");
        strategy.define(run, 5);
        long first = strategy.reserve(ReservationRequest.of(run, "a").withHold(Duration.ofMinutes(5))).reservation().id();
        long second = strategy.reserve(ReservationRequest.of(run, "b").withQuantity(2).withHold(Duration.ofMinutes(5))).reservation().id();
        clock.advance(Duration.ofMinutes(6));
        recorder.events.clear();

        // holds, not units (a hold of two units counts once)
        assertThat(strategy.sweepExpiredHolds()).isEqualTo(2);
        assertThat(strategy.sweepExpiredHolds()).isZero();

        assertThat(recorder.events).containsExactlyInAnyOrder(name + " HOLD " + first + " EXPIRED",
                name + " HOLD " + second + " EXPIRED");
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
    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void callsInTheCallersTransaction_areHeardOnlyOnceItCommits(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        JdbiReservationStrategy strategy = heardBy(recorder, fixture);
        String name = strategy.name();
        String run = newId("run");
        strategy.define(run, 5);
        long kept = strategy.reserve(ReservationRequest.of(run, "kept")).reservation().id();
        long hold = strategy.reserve(ReservationRequest.of(run, "hold").withHold(Duration.ofMinutes(5))).reservation().id();
        recorder.events.clear();
        recorder.timed.clear();

        try (Handle handle = fixture.jdbi().open()) {
            handle.begin();
            assertThat(strategy.reserve(handle, ReservationRequest.of(run, "a")).isReserved()).isTrue();
            assertThat(strategy.reserveAll(handle, List.of(ReservationRequest.of(run, "b"))).isReserved()).isTrue();
            assertThat(strategy.confirm(handle, hold)).isEqualTo(HoldStatus.CONFIRMED);
            assertThat(strategy.release(handle, kept)).isTrue();
            assertThat(recorder.events).as("before the caller commits").isEmpty();
            assertThat(recorder.timed).as("before the caller commits").isEmpty();
            handle.commit();
        }

        assertThat(recorder.events).containsExactly(name + " RESERVED a", name + " RESERVED b",
                name + " HOLD " + hold + " CONFIRMED", name + " RELEASED");
        assertThat(recorder.timed).containsExactly(name + " RESERVED a");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void callsInTheCallersTransaction_areNeverHeard_whenItRollsBack(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        JdbiReservationStrategy strategy = heardBy(recorder, fixture);
        String name = strategy.name();
        String run = newId("run");
        strategy.define(run, 5);
        long hold = strategy.reserve(ReservationRequest.of(run, "hold").withHold(Duration.ofMinutes(5))).reservation().id();
        recorder.events.clear();

        try (Handle handle = fixture.jdbi().open()) {
            handle.begin();
            strategy.reserve(handle, ReservationRequest.of(run, "undone"));
            strategy.confirm(handle, hold);
            strategy.reserveAll(handle, List.of(ReservationRequest.of(run, "undone too")));
            handle.rollback();
            // the next transaction on the same handle tells only its own calls
            handle.begin();
            strategy.reserve(handle, ReservationRequest.of(run, "next"));
            handle.commit();
        }

        assertThat(recorder.events).containsExactly(name + " RESERVED next");
        assertThat(strategy.availability(run).orElseThrow().reserved()).isEqualTo(2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void callsOnAHandleWithoutATransaction_areHeardAtOnce(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        JdbiReservationStrategy strategy = heardBy(recorder, fixture);
        String name = strategy.name();
        String run = newId("run");
        strategy.define(run, 5);

        try (Handle handle = fixture.jdbi().open()) {
            strategy.reserve(handle, ReservationRequest.of(run, "a"));
            assertThat(recorder.events).containsExactly(name + " RESERVED a");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void combining_tellsEachBatchItRan(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        CombiningStrategy strategy = combiningHeardBy(recorder, fixture);
        String run = newId("run");
        strategy.define(run, 5);

        strategy.reserveAsOneBatch(List.of(ReservationRequest.of(run, "a"), ReservationRequest.of(run, "b"),
                ReservationRequest.of(run, "c")));
        strategy.reserveAsOneBatch(List.of(ReservationRequest.of(run, "d")));

        assertThat(recorder.batches).containsExactly("combining 3", "combining 1");
    }
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void stockEvents_tellEachSellOutAndEachReturn_once(StrategyFixture fixture) {
        Holds holds = new Holds(fixture, 2);
        Recorder recorder = holds.recorder;
        ReservationStrategy strategy = holds.strategy;
        String run = holds.run;
        String soldOut = strategy.name() + " SOLD_OUT " + run;
        String back = strategy.name() + " BACK " + run;
        // unique-slots keeps no counter: its sell-out is the mark its first refusal makes, its return the mark cleared
        boolean slots = fixture.kind() == StrategyKind.UNIQUE_SLOTS;
        boolean inMemory = !fixture.hasDatabase();

        long a = strategy.reserve(ReservationRequest.of(run, "a")).reservation().id();
        strategy.reserve(ReservationRequest.of(run, "b"));
        assertThat(recorder.stock).as("the grant of the last unit").containsExactlyElementsOf(slots ? List.of() : List.of(soldOut));
        assertThat(strategy.reserve(ReservationRequest.of(run, "c")).isReserved()).isFalse();
        assertThat(strategy.reserve(ReservationRequest.of(run, "d")).isReserved()).isFalse();
        assertThat(recorder.stock).as("refusals").containsExactly(soldOut);

        strategy.release(a);
        assertThat(recorder.stock).as("a release").containsExactly(soldOut, back);
        long hold = holds.hold("e");
        assertThat(strategy.reserve(ReservationRequest.of(run, "f")).isReserved()).isFalse();
        assertThat(recorder.stock).as("a hold of the last unit").containsExactly(soldOut, back, soldOut);

        // past the hold's expiry, a reserve takes its unit back and sells it: in one transaction no move across
        // zero; in memory, where each step stands alone, back and sold out again; unique-slots clears its mark
        holds.clock.advance(Duration.ofMinutes(6));
        assertThat(strategy.reserve(ReservationRequest.of(run, "g")).isReserved()).isTrue();
        assertThat(strategy.confirm(hold)).isEqualTo(HoldStatus.EXPIRED);
        List<String> expected = new java.util.ArrayList<>(List.of(soldOut, back, soldOut));
        expected.addAll(inMemory ? List.of(back, soldOut) : slots ? List.of(back) : List.of());
        assertThat(recorder.stock).as("an expired hold taken back").containsExactlyElementsOf(expected);

        strategy.adjust(run, 1);
        if (!slots) {
            expected.add(back);
        }
        assertThat(recorder.stock).as("growth").containsExactlyElementsOf(expected);
        strategy.resize(run, 2);
        assertThat(strategy.reserve(ReservationRequest.of(run, "h")).isReserved()).isFalse();
        expected.add(soldOut);
        assertThat(recorder.stock).as("a shrink to what is reserved").containsExactlyElementsOf(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void stockEvents_inTheCallersTransaction_areToldAfterItCommits_andNeverAfterARollback(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        JdbiReservationStrategy strategy = heardBy(recorder, fixture);
        String name = strategy.name();
        String run = newId("run");
        strategy.define(run, 1);
        long taken = strategy.reserve(ReservationRequest.of(run, "a")).reservation().id();
        strategy.reserve(ReservationRequest.of(run, "b"));
        recorder.stock.clear();

        try (Handle handle = fixture.jdbi().open()) {
            handle.begin();
            assertThat(strategy.release(handle, taken)).isTrue();
            handle.rollback();
            handle.begin();
            assertThat(strategy.release(handle, taken)).isTrue();
            assertThat(recorder.stock).as("before the caller commits").isEmpty();
            handle.commit();
        }

        assertThat(recorder.stock).containsExactly(name + " BACK " + run);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void stockEvents_ofACombinedBatch_areOneSellOut(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        CombiningStrategy strategy = combiningHeardBy(recorder, fixture);
        String run = newId("run");
        strategy.define(run, 3);

        strategy.reserveAsOneBatch(List.of(ReservationRequest.of(run, "a"), ReservationRequest.of(run, "b"),
                ReservationRequest.of(run, "c"), ReservationRequest.of(run, "d")));

        assertThat(recorder.stock).containsExactly("combining SOLD_OUT " + run);
    }
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void stockEvents_underARace_balance(StrategyFixture fixture) {
        Recorder recorder = new Recorder();
        ReservationStrategy strategy = fixture.strategy(StrategyOptions.builder().listener(recorder).build());
        String run = newId("run");
        strategy.define(run, 3);

        // eight threads ask for a unit of three at once, round after round, and give back what they got
        // once every thread has its answer: each round sells the resource out and frees it again; every
        // sell-out told has its return told, and nothing is told twice
        int rounds = 10;
        CyclicBarrier everyone = new CyclicBarrier(8);
        try (Race race = new Race(8)) {
            race.run(thread -> {
                for (int round = 0; round < rounds; round++) {
                    await(everyone);
                    ReservationResult result = Race.reserveUntilDecided(strategy, ReservationRequest.of(run, "t" + thread));
                    await(everyone);
                    if (result.isReserved()) {
                        strategy.release(result.reservation().id());
                    }
                }
                return null;
            });
        }

        long soldOut = recorder.stock.stream().filter(e -> e.contains(" SOLD_OUT ")).count();
        long back = recorder.stock.stream().filter(e -> e.contains(" BACK ")).count();
        assertThat(strategy.availability(run).orElseThrow().available()).isEqualTo(3);
        assertThat(soldOut).as("sell-outs told, one a round at least").isGreaterThanOrEqualTo(rounds);
        assertThat(back).as("returns told, against %d sell-outs", soldOut).isEqualTo(soldOut);
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(Race.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
            throw new IllegalStateException("the threads did not meet: " + e, e);
        }
    }

    /** The fixture's strategy on its database, heard by {@code recorder}. */
    private static JdbiReservationStrategy heardBy(Recorder recorder, StrategyFixture fixture) {
        return JdbiStrategies.of(fixture.kind(), fixture.jdbi(), StrategyOptions.builder().listener(recorder).build());
    }

    /** A combining strategy on the fixture's database, heard by {@code recorder}. */
    private static CombiningStrategy combiningHeardBy(Recorder recorder, StrategyFixture fixture) {
        return (CombiningStrategy) JdbiStrategies.of(StrategyKind.COMBINING, fixture.jdbi(),
                StrategyOptions.builder().listener(recorder).build());
    }
}
