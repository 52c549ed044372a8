package dev.capacity.stress;

import java.util.List;
import dev.capacity.OrderResult;
import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.Duration;
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
public final class NaiveCheckThenActStrategy implements ReservationStrategy {

    private final Jdbi jdbi;
    private final ReservationStrategy honest;
    private final CountDownLatch linedUp;

    public NaiveCheckThenActStrategy(Jdbi jdbi) {
        this(jdbi, 0);
    }

    public NaiveCheckThenActStrategy(Jdbi jdbi, int lineUp) {
        this.jdbi = jdbi;
        this.honest = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi);
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

    @Override
    public void define(String resourceId, long capacity) {
        honest.define(resourceId, capacity);
    }

    @Override
    public void resize(String resourceId, long newCapacity) {
        honest.resize(resourceId, newCapacity);
    }

    @Override
    public long adjust(String resourceId, long delta) {
        return honest.adjust(resourceId, delta);
    }

    @Override
    public boolean release(long reservationId) {
        return honest.release(reservationId);
    }

    @Override
    public Optional<Availability> availability(String resourceId) {
        return honest.availability(resourceId);
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        return honest.confirm(reservationId);
    }

    @Override
    public HoldStatus extend(long reservationId, Duration ttl) {
        return honest.extend(reservationId, ttl);
    }

    @Override
    public void limitPerHolder(String resourceId, long maxUnits) {
        honest.limitPerHolder(resourceId, maxUnits);
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        throw new UnsupportedOperationException("orders are not part of the negative control");
    }
}
