package dev.capacity.stress.jcstress;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.ReservationStrategy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * THE NEGATIVE CONTROL for the order tests: an order as an application might write it over a
 * sound strategy (test sources only, never the library). Each line is reserved on its own, in
 * line order, through {@code delegate.reserve}, each one atomic and linearizable; if a line is
 * refused, the lines this call granted are released again and the order is refused with that
 * line's status. An order whose every line was replayed is REPLAYED, otherwise RESERVED.
 *
 * <p>Alone it keeps the contract. Two at once do not: orders crossing each other's resources
 * can each take one and both give up (undersold), the units of a refused order are taken for a
 * while (seen by others, though given back), and two callers sending the same keyed order in
 * different line orders can each make half of it, and both be told RESERVED.
 *
 * <p>Every other method is the delegate's.
 */
final class NaiveOrderStrategy implements ReservationStrategy {

    private final ReservationStrategy delegate;

    NaiveOrderStrategy(ReservationStrategy delegate) {
        this.delegate = delegate;
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        List<Reservation> got = new ArrayList<>(lines.size());
        List<Long> grantedHere = new ArrayList<>(lines.size());
        boolean allReplayed = true;
        for (int i = 0; i < lines.size(); i++) {
            ReservationResult line = delegate.reserve(lines.get(i));
            if (!line.isReserved()) {
                grantedHere.forEach(delegate::release);
                return OrderResult.refused(line.status(), i);
            }
            got.add(line.reservation());
            if (line.status() == Status.RESERVED) {
                grantedHere.add(line.reservation().id());
                allReplayed = false;
            }
        }
        return OrderResult.granted(allReplayed ? Status.REPLAYED : Status.RESERVED, got);
    }

    @Override
    public String name() {
        return "naive-orders";
    }

    @Override
    public void define(String resourceId, long capacity) {
        delegate.define(resourceId, capacity);
    }

    @Override
    public void resize(String resourceId, long newCapacity) {
        delegate.resize(resourceId, newCapacity);
    }

    @Override
    public long adjust(String resourceId, long delta) {
        return delegate.adjust(resourceId, delta);
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        return delegate.reserve(request);
    }

    @Override
    public boolean release(long reservationId) {
        return delegate.release(reservationId);
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        return delegate.confirm(reservationId);
    }

    @Override
    public HoldStatus extend(long reservationId, Duration ttl) {
        return delegate.extend(reservationId, ttl);
    }

    @Override
    public void limitPerHolder(String resourceId, long maxUnits) {
        delegate.limitPerHolder(resourceId, maxUnits);
    }

    @Override
    public Optional<Availability> availability(String resourceId) {
        return delegate.availability(resourceId);
    }
}
