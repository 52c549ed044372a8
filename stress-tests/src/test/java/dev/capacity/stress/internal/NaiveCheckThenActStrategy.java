package dev.capacity.stress.internal;

import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.jdbc.testing.ForwardingStrategy;

import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * THE NEGATIVE CONTROL: the bug this project exists to prevent, kept here (test sources only,
 * never the library) so that the race harness and jcstress can prove they see it. It reserves the
 * way the Rails controller of the problem statement does: read the counter, compare it with the
 * capacity, insert the row, write back the counter it read plus the quantity. Two callers that
 * read the same counter both pass the check; the second write also loses the first one's update.
 *
 * <p>Everything but {@link #reserve} is conditional-update's, on the same tables.
 *
 * <p>jcstress finds the race window by itself. A race of a few threads may not hit it every time,
 * so for those the first {@code lineUp} callers wait after their check until all of them have
 * checked: then they certainly all read the same counter, and the bug shows on every run.
 */
public final class NaiveCheckThenActStrategy extends ForwardingStrategy {

    private final Jdbi jdbi;
    private final CountDownLatch linedUp;

    public NaiveCheckThenActStrategy(Jdbi jdbi) {
        this(jdbi, 0);
    }

    public NaiveCheckThenActStrategy(Jdbi jdbi, int lineUp) {
        super(JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi));
        this.jdbi = jdbi;
        this.linedUp = new CountDownLatch(lineUp);
    }

    /** The first callers wait here, between their check and their write, until all of them have checked. */
    private void betweenCheckAndAct() {
        if (linedUp.getCount() == 0) {
            return;
        }
        linedUp.countDown();
        try {
            if (!linedUp.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the callers to line up never all arrived");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String name() {
        return "naive-check-then-act";
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        return jdbi.inTransaction(h -> {
            Optional<long[]> row = h.createQuery("SELECT capacity, reserved FROM capacity_resource WHERE id = :id")
                    .bind("id", request.resourceId())
                    .map((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2)}).findOne();
            if (row.isEmpty()) {
                return new ReservationResult(Status.UNKNOWN_RESOURCE, null, 0, 1);
            }
            long capacity = row.get()[0];
            long reserved = row.get()[1];
            if (reserved + request.quantity() > capacity) {
                return new ReservationResult(Status.INSUFFICIENT_CAPACITY, null, capacity - reserved, 1);
            }
            betweenCheckAndAct();
            Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
            long id = h.createUpdate("INSERT INTO capacity_reservation (resource_id, holder_id, quantity, idempotency_key,"
                            + " created_at) VALUES (:resource, :holder, :quantity, :key, :now)")
                    .bind("resource", request.resourceId()).bind("holder", request.holderId())
                    .bind("quantity", request.quantity()).bind("key", request.idempotencyKey())
                    .bind("now", OffsetDateTime.ofInstant(now, ZoneOffset.UTC))
                    .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
            h.createUpdate("UPDATE capacity_resource SET reserved = :reserved WHERE id = :id")
                    .bind("reserved", reserved + request.quantity()).bind("id", request.resourceId()).execute();
            return new ReservationResult(Status.RESERVED, new Reservation(id, request.resourceId(), request.holderId(),
                    request.quantity(), request.idempotencyKey(), now), capacity - reserved - request.quantity(), 1);
        });
    }
}
