package dev.capacity.jdbc;

import static dev.capacity.ReservationResult.Status.CONTENDED;
import static dev.capacity.ReservationResult.Status.HOLDER_LIMIT_REACHED;
import static dev.capacity.ReservationResult.Status.IDEMPOTENCY_KEY_CONFLICT;
import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.CapacityException;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.FaultyDataSource;
import dev.capacity.testing.MutableClock;
import dev.capacity.jdbc.testing.Ledger;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.jdbc.testing.Waits;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What only the combining strategy has: batches decided in arrival order, repeated keys inside a
 * batch, a batch's failure answered to each of its requests, the time budget of a queued request,
 * and closing with requests queued. The contract itself is checked for combining by the shared
 * suites, like every strategy.
 */
@ExtendWith(LedgersAddUp.class)
final class CombiningStrategyTest {

    private static CombiningStrategy combining(Jdbi jdbi, StrategyOptions options) {
        return (CombiningStrategy) JdbiStrategies.of(dev.capacity.StrategyKind.COMBINING, jdbi, options);
    }

    private static List<ReservationResult.Status> statuses(List<ReservationResult> results) {
        return results.stream().map(ReservationResult::status).toList();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void batch_askingForMoreThanIsLeft_isGrantedInArrivalOrder(TestDatabase database) {
        CombiningStrategy strategy = combining(database.jdbi(), StrategyOptions.defaults());
        String run = newId("run");
        strategy.define(run, 5);

        List<ReservationResult> results = strategy.reserveAsOneBatch(List.of(
                ReservationRequest.of(run, "a").withQuantity(3),
                ReservationRequest.of(run, "b").withQuantity(3),
                ReservationRequest.of(run, "c").withQuantity(1),
                ReservationRequest.of(run, "d").withQuantity(2),
                ReservationRequest.of(run, "e").withQuantity(1)));

        // a fits; b does not; c fits after a; d does not; e takes the last unit
        assertThat(statuses(results)).containsExactly(RESERVED, INSUFFICIENT_CAPACITY, RESERVED, INSUFFICIENT_CAPACITY,
                RESERVED);
        assertThat(results.get(1).available()).isEqualTo(2);
        assertThat(results.get(3).available()).isEqualTo(1);
        assertThat(results.get(4).available()).isZero();
        assertThat(strategy.availability(run)).contains(new Availability(run, 5, 5));
        assertThat(Ledger.read(database.jdbi(), "capacity_", run).reservationRows()).isEqualTo(3);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void batch_withRepeatedKeys_reservesEachKeyOnce(TestDatabase database) {
        CombiningStrategy strategy = combining(database.jdbi(), StrategyOptions.defaults());
        String run = newId("run");
        strategy.define(run, 10);
        String earlier = newId("key");
        String repeated = newId("key");
        ReservationRequest existing = ReservationRequest.of(run, "x").withIdempotencyKey(earlier);
        ReservationResult first = strategy.reserve(existing);

        List<ReservationResult> results = strategy.reserveAsOneBatch(List.of(
                ReservationRequest.of(run, "a").withIdempotencyKey(repeated),
                existing,
                ReservationRequest.of(run, "a").withIdempotencyKey(repeated),
                ReservationRequest.of(run, "a").withQuantity(2).withIdempotencyKey(repeated),
                ReservationRequest.of(run, "y").withQuantity(2).withIdempotencyKey(earlier)));

        assertThat(statuses(results)).containsExactly(RESERVED, REPLAYED, REPLAYED, IDEMPOTENCY_KEY_CONFLICT,
                IDEMPOTENCY_KEY_CONFLICT);
        assertThat(results.get(1).reservation()).isEqualTo(first.reservation());
        assertThat(results.get(2).reservation()).isEqualTo(results.get(0).reservation());
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 2));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void batch_onALimitedResource_judgesEachHolderInArrivalOrder(TestDatabase database) {
        MutableClock clock = MutableClock.start();
        CombiningStrategy strategy = combining(database.jdbi(), StrategyOptions.builder().clock(clock).build());
        String run = newId("run");
        strategy.define(run, 100);
        strategy.limitPerHolder(run, 3);
        // before the batch: a has 2 units, b has 3 (one of them a hold about to expire), c has none yet
        strategy.reserve(ReservationRequest.of(run, "a").withQuantity(2));
        strategy.reserve(ReservationRequest.of(run, "b").withQuantity(2));
        strategy.reserve(ReservationRequest.of(run, "b").withHold(Duration.ofMinutes(1)));
        clock.advance(Duration.ofMinutes(1));

        List<ReservationResult> results = strategy.reserveAsOneBatch(List.of(
                ReservationRequest.of(run, "a"),                   // a: 2 + 1 = 3
                ReservationRequest.of(run, "a"),                   // a: 4, over
                ReservationRequest.of(run, "c").withQuantity(2),  // c: a new row, 2
                ReservationRequest.of(run, "c").withQuantity(2),  // c: 4, over
                ReservationRequest.of(run, "b"),                   // b: 3 until its expired hold is reclaimed, then 3
                ReservationRequest.of(run, "c"),                   // c: 3
                ReservationRequest.of(run, "d").withQuantity(4))); // d: more than the limit alone

        assertThat(statuses(results)).containsExactly(RESERVED, HOLDER_LIMIT_REACHED, RESERVED, HOLDER_LIMIT_REACHED,
                RESERVED, RESERVED, HOLDER_LIMIT_REACHED);
        // 2 + 2 before (the expired hold reclaimed), 1 + 2 + 1 + 1 granted now
        assertThat(strategy.availability(run)).contains(new Availability(run, 100, 9));
        // the holders' rows agree with their reservations: the next unit of each is refused, d's 3 granted
        for (String holder : List.of("a", "b", "c")) {
            assertThat(strategy.reserve(ReservationRequest.of(run, holder)).status()).as(holder)
                    .isEqualTo(HOLDER_LIMIT_REACHED);
        }
        assertThat(strategy.reserve(ReservationRequest.of(run, "d").withQuantity(3)).status()).isEqualTo(RESERVED);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void batch_onALimitedResource_whereEveryHolderFits_isGrantedWhole_andTheHoldersRowsAgree(TestDatabase database) {
        CombiningStrategy strategy = combining(database.jdbi(), StrategyOptions.defaults());
        String run = newId("run");
        strategy.define(run, 100);
        strategy.limitPerHolder(run, 3);
        strategy.reserve(ReservationRequest.of(run, "a"));  // a has a row with 1 unit, b and c none

        List<ReservationResult> results = strategy.reserveAsOneBatch(List.of(
                ReservationRequest.of(run, "a"),                   // a: 2
                ReservationRequest.of(run, "b").withQuantity(2),  // b: a new row, 2
                ReservationRequest.of(run, "a"),                   // a: 3, the limit
                ReservationRequest.of(run, "c").withQuantity(3))); // c: a new row at the limit

        assertThat(statuses(results)).containsOnly(RESERVED);
        assertThat(results).extracting(ReservationResult::available).containsExactly(98L, 96L, 95L, 92L);
        assertThat(strategy.availability(run)).contains(new Availability(run, 100, 8));
        // every holder's row took the batch's units: a and c are at the limit, b has room for 1
        assertThat(strategy.reserve(ReservationRequest.of(run, "a")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.reserve(ReservationRequest.of(run, "c")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.reserve(ReservationRequest.of(run, "b")).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(ReservationRequest.of(run, "b")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void batch_onALimitedResource_whereOneHolderFitsAndAnotherDoesNot_keepsTheFittingHoldersUnitsOnce(
            TestDatabase database) {
        CombiningStrategy strategy = combining(database.jdbi(), StrategyOptions.defaults());
        String run = newId("run");
        strategy.define(run, 100);
        strategy.limitPerHolder(run, 3);
        strategy.reserve(ReservationRequest.of(run, "a"));  // a has a row with 1 unit, b none

        // tried whole first: a's units fit and b's do not, so whatever was added for a is taken back
        // before the batch is decided one request at a time
        List<ReservationResult> results = strategy.reserveAsOneBatch(List.of(
                ReservationRequest.of(run, "a"),                    // a: 2
                ReservationRequest.of(run, "c"),                    // c: a new row, 1
                ReservationRequest.of(run, "b").withQuantity(4)));  // b: more than the limit alone

        assertThat(statuses(results)).containsExactly(RESERVED, RESERVED, HOLDER_LIMIT_REACHED);
        assertThat(strategy.availability(run)).contains(new Availability(run, 100, 3));
        // a and c were counted once: a has room for exactly 1 more, c for 2
        assertThat(strategy.reserve(ReservationRequest.of(run, "a")).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(ReservationRequest.of(run, "a")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        assertThat(strategy.reserve(ReservationRequest.of(run, "c").withQuantity(2)).status()).isEqualTo(RESERVED);
        assertThat(strategy.reserve(ReservationRequest.of(run, "c")).status()).isEqualTo(HOLDER_LIMIT_REACHED);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void batch_whoseCommitIsLost_answersEveryRequest(TestDatabase database) {
        FaultyDataSource faulty = new FaultyDataSource(database.pool().dataSource());
        database.jdbi();
        CombiningStrategy strategy = combining(Jdbi.create(faulty), StrategyOptions.defaults());
        String run = newId("run");
        strategy.define(run, 10);

        // committed, then the connection broke: the rows are there, every request was granted
        faulty.failNextCommits(1, FaultyDataSource.CommitFault.AFTER_COMMIT);
        List<ReservationResult> committed = strategy.reserveAsOneBatch(List.of(
                ReservationRequest.of(run, "a"), ReservationRequest.of(run, "b").withIdempotencyKey(newId("key"))));
        assertThat(statuses(committed)).containsExactly(RESERVED, RESERVED);

        // not committed, every request keyed: the batch runs again
        faulty.failNextCommits(1, FaultyDataSource.CommitFault.INSTEAD_OF_COMMIT);
        List<ReservationResult> retried = strategy.reserveAsOneBatch(List.of(
                ReservationRequest.of(run, "c").withIdempotencyKey(newId("key")),
                ReservationRequest.of(run, "d").withIdempotencyKey(newId("key"))));
        assertThat(statuses(retried)).containsExactly(RESERVED, RESERVED);
        assertThat(retried).allMatch(r -> r.attempts() == 2);

        // not committed, one request without a key: only its caller can decide, so it is told the
        // outcome is unknown; the keyed one runs again (its key stops a second reservation)
        faulty.failNextCommits(1, FaultyDataSource.CommitFault.INSTEAD_OF_COMMIT);
        ReservationRequest unkeyed = ReservationRequest.of(run, "e");
        ReservationRequest keyed = ReservationRequest.of(run, "f").withIdempotencyKey(newId("key"));
        assertThatThrownBy(() -> strategy.reserveAsOneBatch(List.of(unkeyed, keyed)))
                .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> assertThat(e.request()).isEqualTo(unkeyed));
        assertThat(strategy.reserve(keyed).status()).isEqualTo(REPLAYED);

        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 5));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void queuedRequest_waitingLongerThanItsBudget_isContended(TestDatabase database) throws Exception {
        CombiningStrategy strategy = combining(database.jdbi(), StrategyOptions.builder()
                .maxRetryTime(Duration.ofMillis(300)).lockTimeout(Duration.ofSeconds(20)).build());
        String run = newId("run");
        strategy.define(run, 10);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Handle blocker = database.jdbi().open()) {
            blocker.begin();
            blocker.createQuery("SELECT capacity FROM capacity_resource WHERE id = :id FOR UPDATE").bind("id", run)
                    .mapTo(Long.class).one();
            // the first request becomes the combiner and waits for the row lock
            Future<ReservationResult> first = pool.submit(() -> strategy.reserve(ReservationRequest.of(run, "a")));
            Waits.until(() -> strategy.combining(run) && strategy.waiting(run) == 0);
            // the second is queued behind a batch that cannot finish in its budget
            Future<ReservationResult> second = pool.submit(() -> strategy.reserve(ReservationRequest.of(run, "b")));

            assertThat(second.get(10, TimeUnit.SECONDS).status()).isEqualTo(CONTENDED);
            blocker.rollback();
            assertThat(first.get(20, TimeUnit.SECONDS).status()).isEqualTo(RESERVED);
        } finally {
            pool.shutdownNow();
        }
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 1));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void close_withRequestsQueued_failsThemSayingNothingWasWritten(TestDatabase database) throws Exception {
        CombiningStrategy strategy = combining(database.jdbi(), StrategyOptions.builder()
                .lockTimeout(Duration.ofSeconds(20)).build());
        String run = newId("run");
        strategy.define(run, 10);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Handle blocker = database.jdbi().open()) {
            blocker.begin();
            blocker.createQuery("SELECT capacity FROM capacity_resource WHERE id = :id FOR UPDATE").bind("id", run)
                    .mapTo(Long.class).one();
            Future<ReservationResult> first = pool.submit(() -> strategy.reserve(ReservationRequest.of(run, "a")));
            Waits.until(() -> strategy.combining(run) && strategy.waiting(run) == 0);
            List<Future<ReservationResult>> queued = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String holder = "q" + i;
                queued.add(pool.submit(() -> strategy.reserve(ReservationRequest.of(run, holder))));
            }
            Waits.until(() -> strategy.waiting(run) == 3);

            strategy.close();

            for (Future<ReservationResult> request : queued) {
                assertThatThrownBy(() -> request.get(10, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(CapacityException.class).hasMessageContaining("nothing was written");
            }
            blocker.rollback();
            assertThat(first.get(20, TimeUnit.SECONDS).status()).isEqualTo(RESERVED);
        } finally {
            pool.shutdownNow();
        }
        assertThatThrownBy(() -> strategy.reserve(ReservationRequest.of(run, "late")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(strategy.availability(run)).contains(new Availability(run, 10, 1));
    }
}
