package dev.capacity.stress.internal;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients spread over the nodes of a cluster: one strategy per node, and each thread's calls all
 * go to one of them, the threads given to the nodes in turn as each makes its first call. A
 * thread's releases and confirms therefore reach the node that made its reservations, as an
 * application process pinned to a node would.
 *
 * <p>This class is threadsafe.
 */
final class SpreadStrategy implements ReservationStrategy {

    private final List<? extends ReservationStrategy> nodes;
    private final AtomicInteger next = new AtomicInteger();
    private final ThreadLocal<ReservationStrategy> mine;

    SpreadStrategy(List<? extends ReservationStrategy> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no nodes to spread over");
        }
        this.nodes = List.copyOf(nodes);
        this.mine = ThreadLocal.withInitial(() -> this.nodes.get(Math.floorMod(next.getAndIncrement(), this.nodes.size())));
    }

    /** The threads given to a node so far. */
    int threads() {
        return next.get();
    }

    @Override
    public String name() {
        return nodes.get(0).name();
    }

    @Override
    public void define(String resourceId, long capacity) {
        mine.get().define(resourceId, capacity);
    }

    @Override
    public void resize(String resourceId, long newCapacity) {
        mine.get().resize(resourceId, newCapacity);
    }

    @Override
    public long adjust(String resourceId, long delta) {
        return mine.get().adjust(resourceId, delta);
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        return mine.get().reserve(request);
    }

    @Override
    public boolean release(long reservationId) {
        return mine.get().release(reservationId);
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        return mine.get().confirm(reservationId);
    }

    @Override
    public HoldStatus extend(long reservationId, Duration ttl) {
        return mine.get().extend(reservationId, ttl);
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        return mine.get().reserveAll(lines);
    }

    @Override
    public void limitPerHolder(String resourceId, long maxUnits) {
        mine.get().limitPerHolder(resourceId, maxUnits);
    }

    @Override
    public Optional<Availability> availability(String resourceId) {
        return mine.get().availability(resourceId);
    }
}
