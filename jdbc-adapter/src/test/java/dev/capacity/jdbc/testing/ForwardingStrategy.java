package dev.capacity.jdbc.testing;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A strategy that sends every call to the strategy it wraps: the base of the tests' negative
 * controls and watchers, which override only the calls they break or watch. Threadsafe if the
 * wrapped strategy is and the overrides are.
 */
public abstract class ForwardingStrategy implements ReservationStrategy, AutoCloseable {

    private final ReservationStrategy delegate;

    protected ForwardingStrategy(ReservationStrategy delegate) {
        this.delegate = delegate;
    }

    /** The wrapped strategy. */
    protected final ReservationStrategy delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name();
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
    public Optional<Availability> availability(String resourceId) {
        return delegate.availability(resourceId);
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        return delegate.reserveAll(lines);
    }

    @Override
    public void limitPerHolder(String resourceId, long maxUnits) {
        delegate.limitPerHolder(resourceId, maxUnits);
    }

    /** Closes the wrapped strategy, if it can be closed. */
    @Override
    public void close() throws Exception {
        if (delegate instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
