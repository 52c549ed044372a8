package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.LockWaits;
import dev.capacity.jdbc.testing.Pause;
import dev.capacity.jdbc.testing.PausingDataSource;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.jdbc.testing.Waits;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * optimistic-version's try after a lost version race (the guarded update) takes the counter's row
 * before it inserts the reservation row, as its first try does. In the other order two requests
 * with one idempotency key, sent at once, could each hold what the other waits for: the retry the
 * key (its row inserted, not committed), the first try of the other the counter's row (its
 * versioned update made) while its insert waits for the key. PostgreSQL and MariaDB break that
 * deadlock by aborting one of them after a wait; H2 waits out its lock timeout. In the {@code race}
 * program on H2 that was the 2.1 s maximum latency of every optimistic-version run (2026-12-01).
 *
 * <p>The test makes the first try of a keyed request lose the version race (another transaction
 * holds the row while it reads, then changes the version), stops its retry before the retry's
 * counter update, and sends the same request again: that request must be granted while the
 * retry is stopped, and the retry must then answer it as a replay.
 */
@ExtendWith(LedgersAddUp.class)
final class OptimisticRetryTest {

    private static final long WAIT_SECONDS = Pause.WAIT_SECONDS;

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestDatabase.class, names = {"H2_MEM", "POSTGRES", "MARIADB"})
    void retryAfterALostVersionRace_takesTheCounterFirst_soTheSameKeySentAgainIsNotBlocked(TestDatabase database)
            throws Exception {
        PausingDataSource source = PausingDataSource.of(database);
        try (JdbiReservationStrategy strategy = JdbiStrategies.of(StrategyKind.OPTIMISTIC_VERSION, source)) {
            String run = newId("run");
            strategy.define(run, 10);
            ReservationRequest request = ReservationRequest.of(run, "ada").withIdempotencyKey(newId("key"));

            Pause retry = source.pause(secondCounterUpdate());
            CompletableFuture<ReservationResult> first;
            try (Connection other = database.pool().dataSource().getConnection()) {
                // another transaction changes the row while the first try waits to update it: that try loses
                other.setAutoCommit(false);
                try (PreparedStatement bump = other.prepareStatement(
                        "UPDATE capacity_resource SET version = version + 1 WHERE id = ?")) {
                    bump.setString(1, run);
                    assertThat(bump.executeUpdate()).isEqualTo(1);
                }
                first = retry.start(() -> strategy.reserve(request));
                // the first try has read the row and waits to update it
                Waits.until(LockWaits.statement(database, "AND version ="));
                other.commit();
            }
            retry.awaitReached();

            CompletableFuture<ReservationResult> again = CompletableFuture.supplyAsync(() -> strategy.reserve(request));
            ReservationResult granted;
            try {
                granted = again.get(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                retry.resume();
                throw new AssertionError(database + ": the request sent again waited " + WAIT_SECONDS
                        + " s while the first one's retry was stopped: it holds what the request waits for", e);
            }
            retry.resume();
            assertThat(granted.status()).as("%s: the request sent again, while the retry is stopped", database)
                    .isEqualTo(Status.RESERVED);

            ReservationResult replayed = first.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(replayed.status()).as("%s: the retry, after the same request was granted", database)
                    .isEqualTo(Status.REPLAYED);
            assertThat(replayed.reservation().id()).isEqualTo(granted.reservation().id());
            assertThat(strategy.availability(run).orElseThrow().available()).isEqualTo(9);
        }
    }

    /** The second update of the counter a call makes: its retry's, after its first try's versioned update. */
    private static Predicate<String> secondCounterUpdate() {
        AtomicInteger seen = new AtomicInteger();
        return sql -> sql.contains("UPDATE capacity_resource SET reserved = reserved +") && seen.incrementAndGet() == 2;
    }
}
