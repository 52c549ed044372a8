package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.CapacityException;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.jdbc.testing.Ledger;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;

import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * MariaDB's {@code KILL QUERY} (and so, it seems, anything that interrupts a statement the same
 * way) does not always fail the statement it interrupts with error 1317: measured on 11.4.5, a
 * {@code DELETE ... RETURNING} or an {@code UPDATE} of a row that exists, found through a
 * secondary index, answered "0 rows" without any error or warning in 2 to 3 of 100 statements
 * under a storm of {@code KILL QUERY}. A strategy that took such a "0 rows" for the truth would
 * commit half its work ({@link Jdbc#updateExactly} makes such a count a lost race). Here every
 * strategy reserves and releases on a pool whose sessions are interrupted at random; afterwards
 * the ledger must add up, a release that gave up must succeed, and a release that answered
 * {@code false} (already ended) must answer it again. Failed on all five strategies without the
 * checks (2026-11-30).
 */
@ExtendWith(LedgersAddUp.class)
final class KillQueryTest {

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.onDatabases().filter(f -> f.database() == TestDatabase.MARIADB);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reserveAndRelease_underKillQuery_keepTheLedger(StrategyFixture fixture) throws Exception {
        TestDatabase database = fixture.database();
        database.jdbi(); // the tables
        try (CapacityPool pool = CapacityPool.open(database.jdbcUrl(), database.user(), database.password(), 2, Duration.ofSeconds(5));
             JdbiReservationStrategy strategy = JdbiStrategies.of(fixture.kind(), pool.jdbi())) {
            String run = newId("run");
            strategy.define(run, 12);
            List<Long> sessions = new ArrayList<>();
            List<Handle> handles = List.of(pool.jdbi().open(), pool.jdbi().open());
            for (Handle h : handles) {
                sessions.add(h.createQuery("SELECT CONNECTION_ID()").mapTo(Long.class).one());
            }
            handles.forEach(Handle::close);
            AtomicBoolean storming = new AtomicBoolean(true);
            AtomicLong kills = new AtomicLong();
            Thread killer = new Thread(() -> storm(database, sessions, storming, kills), "kill-query");
            killer.start();
            SplittableRandom random = new SplittableRandom(42);
            // reservations whose release failed under the storm (sent again after it), or answered false (asked again)
            List<Long> failed = new ArrayList<>();
            List<Long> answeredFalse = new ArrayList<>();
            // calls whose COMMIT failed and whose lookup was interrupted too: written or not, unknown
            List<String> unknownReserves = new ArrayList<>();
            List<Long> unknownReleases = new ArrayList<>();
            try {
                for (int i = 0; i < 400; i++) {
                    ReservationResult result;
                    try {
                        result = strategy.reserve(ReservationRequest.of(run, "h" + i).withQuantity(1 + random.nextInt(3)));
                    } catch (OutcomeUnknownException e) {
                        unknownReserves.add("h" + i);
                        continue;
                    } catch (CapacityException e) {
                        continue; // gave up: nothing was written
                    }
                    if (result.isReserved()) {
                        long id = result.reservation().id();
                        try {
                            if (!strategy.release(id)) {
                                answeredFalse.add(id);
                            }
                        } catch (OutcomeUnknownException e) {
                            unknownReleases.add(id);
                        } catch (CapacityException e) {
                            failed.add(id); // gave up: nothing was written, so it is still to release
                        }
                    }
                }
            } finally {
                storming.set(false);
                killer.join(TimeUnit.SECONDS.toMillis(30));
            }
            for (long id : failed) {
                assertThat(strategy.release(id)).as("reservation %d, whose release gave up", id).isTrue();
            }
            for (long id : unknownReleases) {
                strategy.release(id); // true if the lost one did not land, false if it did: either way released now
            }
            for (String holder : unknownReserves) {
                // a reserve that landed is released now, by the id its row got
                for (long id : pool.jdbi().withHandle(h -> h.createQuery("SELECT id FROM capacity_reservation"
                        + " WHERE resource_id = :run AND holder_id = :holder AND released_at IS NULL")
                        .bind("run", run).bind("holder", holder).mapTo(Long.class).list())) {
                    assertThat(strategy.release(id)).as("reservation %d, whose reserve's outcome was unknown", id).isTrue();
                }
            }
            for (long id : answeredFalse) {
                // false means it had ended already: asked again after the storm, the answer must not change
                assertThat(strategy.release(id)).as("reservation %d, whose release answered false", id).isFalse();
            }

            assertThat(kills.get()).isPositive();
            Ledger ledger = fixture.ledger(run);
            assertThat(ledger.addsUp()).as("%s", ledger).isTrue();
            assertThat(ledger.unreleasedQuantity()).as("%s", ledger).isZero();
            assertThat(ledger.reserved()).as("%s", ledger).isZero();
        }
    }


    /** Sends KILL QUERY to one of {@code sessions} at random moments, a fraction of a millisecond apart. */
    private static void storm(TestDatabase database, List<Long> sessions, AtomicBoolean storming, AtomicLong kills) {
        SplittableRandom random = new SplittableRandom(7);
        try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
             Statement s = c.createStatement()) {
            while (storming.get()) {
                LockSupport.parkNanos(random.nextLong(400_000));
                try {
                    s.execute("KILL QUERY " + sessions.get(random.nextInt(sessions.size())));
                    kills.incrementAndGet();
                } catch (SQLException e) {
                    if (e.getErrorCode() != 1094) { // unknown thread: the pool replaced it
                        throw e;
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the KILL QUERY storm failed", e);
        }
    }
}
