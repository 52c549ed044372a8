package dev.capacity.stress.faults;

import java.util.List;
import dev.capacity.OrderResult;
import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
import java.util.Optional;

/**
 * A negative control for the fault suite: the common "retry on error" wrapper. It reserves with
 * conditional-update inside its own transaction, and when anything fails (the COMMIT included)
 * it simply runs the whole transaction again. When the COMMIT had in fact gone through, that
 * books the same request twice. The fault suite must catch it.
 */
final class RetryOnErrorStrategy implements ReservationStrategy {

    private final Jdbi jdbi;
    private final JdbiReservationStrategy inner;

    RetryOnErrorStrategy(Jdbi jdbi) {
        this.jdbi = jdbi;
        this.inner = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi);
    }

    @Override
    public String name() {
        return "retry-on-error (negative control)";
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                // no idempotency key on the way down: the wrapper thinks the retry is harmless
                ReservationRequest unkeyed = new ReservationRequest(request.resourceId(), request.holderId(),
                        request.quantity(), null);
                return jdbi.inTransaction(h -> inner.reserve(h, unkeyed));
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw last;
    }

    @Override
    public void define(String resourceId, long capacity) {
        inner.define(resourceId, capacity);
    }

    @Override
    public void resize(String resourceId, long newCapacity) {
        inner.resize(resourceId, newCapacity);
    }

    @Override
    public long adjust(String resourceId, long delta) {
        return inner.adjust(resourceId, delta);
    }

    @Override
    public boolean release(long reservationId) {
        return inner.release(reservationId);
    }

    @Override
    public Optional<Availability> availability(String resourceId) {
        return inner.availability(resourceId);
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        return inner.confirm(reservationId);
    }

    @Override
    public HoldStatus extend(long reservationId, Duration ttl) {
        return inner.extend(reservationId, ttl);
    }

    @Override
    public void limitPerHolder(String resourceId, long maxUnits) {
        inner.limitPerHolder(resourceId, maxUnits);
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        return inner.reserveAll(lines);
    }
}
