package dev.capacity.stress.jcstress;

import java.util.List;
import dev.capacity.OrderResult;
import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.ReservationStrategy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * THE NEGATIVE CONTROL for the hold tests: holds kept the naive way (test sources only, never the
 * library), so that the tests prove they see what {@code InMemoryStrategy}'s protocol prevents.
 * A reservation's kind and expiry are volatile fields and a resource's reserved count a volatile
 * counter, so every thread sees every write; but each call reads a reservation, decides, then
 * writes, with no compare-and-set between deciding and acting. Two calls that read the same hold
 * both act on it: two confirms both confirm, a confirm and an expiry both win, a hold expires
 * twice and its units come back twice.
 *
 * <p>Expiry is judged as the contract says (a hold expires at its expiry instant, a reserve that
 * finds no room ends the expired holds first, an expired hold is released as false and confirmed
 * as EXPIRED), so a single thread sees nothing wrong. Reserve, release, confirm, extend and
 * availability only; resize and adjust are not part of the control.
 */
final class NaiveHoldStrategy implements ReservationStrategy {

    private enum Kind { HELD, PERMANENT, RELEASED, EXPIRED }

    private final Clock clock;
    private final Map<String, Resource> resources = new ConcurrentHashMap<>();
    private final Map<Long, Entry> reservations = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    NaiveHoldStrategy(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String name() {
        return "naive-holds";
    }

    @Override
    public void define(String resourceId, long capacity) {
        resources.putIfAbsent(resourceId, new Resource(capacity));
    }

    @Override
    public void resize(String resourceId, long newCapacity) {
        throw new UnsupportedOperationException("resize is not part of the negative control");
    }

    @Override
    public long adjust(String resourceId, long delta) {
        throw new UnsupportedOperationException("adjust is not part of the negative control");
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        Instant now = clock.instant();
        Resource resource = resources.get(request.resourceId());
        if (resource == null) {
            return new ReservationResult(Status.UNKNOWN_RESOURCE, null, ReservationResult.UNKNOWN_AVAILABLE, 1);
        }
        int quantity = request.quantity();
        if (resource.reserved + quantity > resource.capacity) {
            for (Entry hold : resource.holds) {
                if (hold.isExpiredAt(now)) {
                    expire(hold);
                }
            }
        }
        if (resource.reserved + quantity > resource.capacity) {
            return new ReservationResult(Status.INSUFFICIENT_CAPACITY, null, ReservationResult.UNKNOWN_AVAILABLE, 1);
        }
        resource.reserved += quantity;
        Optional<Instant> expiry = request.isHold() ? Optional.of(now.plus(request.hold())) : Optional.empty();
        Reservation reservation = new Reservation(ids.incrementAndGet(), request.resourceId(), request.holderId(),
                quantity, request.idempotencyKey(), now, expiry);
        Entry entry = new Entry(reservation, resource);
        reservations.put(reservation.id(), entry);
        if (request.isHold()) {
            resource.holds.add(entry);
        }
        return new ReservationResult(Status.RESERVED, reservation, ReservationResult.UNKNOWN_AVAILABLE, 1);
    }

    @Override
    public boolean release(long reservationId) {
        Entry entry = reservations.get(reservationId);
        if (entry == null || entry.kind == Kind.RELEASED || entry.kind == Kind.EXPIRED) {
            return false;
        }
        if (entry.isExpiredAt(clock.instant())) {
            expire(entry);
            return false;
        }
        betweenCheckAndAct();
        entry.kind = Kind.RELEASED;
        entry.resource.reserved -= entry.quantity;
        return true;
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        return changeHold(reservationId, null);
    }

    @Override
    public HoldStatus extend(long reservationId, Duration ttl) {
        return changeHold(reservationId, ttl);
    }

    private HoldStatus changeHold(long reservationId, Duration ttl) {
        Entry entry = reservations.get(reservationId);
        if (entry == null) {
            return HoldStatus.UNKNOWN_RESERVATION;
        }
        Instant now = clock.instant();
        switch (entry.kind) {
            case PERMANENT:
                return HoldStatus.ALREADY_CONFIRMED;
            case RELEASED:
                return HoldStatus.RELEASED;
            case EXPIRED:
                return HoldStatus.EXPIRED;
            default:
                break;
        }
        if (entry.isExpiredAt(now)) {
            expire(entry);
            return HoldStatus.EXPIRED;
        }
        betweenCheckAndAct();
        if (ttl == null) {
            entry.kind = Kind.PERMANENT;
            return HoldStatus.CONFIRMED;
        }
        entry.expiresAt = now.plus(ttl);
        return HoldStatus.EXTENDED;
    }

    private static void expire(Entry hold) {
        betweenCheckAndAct();
        hold.kind = Kind.EXPIRED;
        hold.resource.reserved -= hold.quantity;
    }

    /**
     * Widens the window between a decision and its write, as a slow path through real code would,
     * so that each run of a control shows its bug many times over and the gate never misses it.
     */
    private static void betweenCheckAndAct() {
        for (int i = 0; i < 100; i++) {
            Thread.onSpinWait();
        }
    }

    @Override
    public Optional<Availability> availability(String resourceId) {
        Resource resource = resources.get(resourceId);
        if (resource == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        long expired = 0;
        long held = 0;
        for (Entry hold : resource.holds) {
            if (hold.isExpiredAt(now)) {
                expired += hold.quantity;
            } else if (hold.kind == Kind.HELD) {
                held += hold.quantity;
            }
        }
        return Optional.of(new Availability(resourceId, resource.capacity, resource.reserved - expired, held));
    }

    private static final class Resource {
        final long capacity;
        volatile long reserved;
        /** Every hold ever made here; the ended and confirmed ones are skipped by their kind. */
        final Set<Entry> holds = ConcurrentHashMap.newKeySet();

        Resource(long capacity) {
            this.capacity = capacity;
        }
    }

    private static final class Entry {
        final Resource resource;
        final int quantity;
        volatile Kind kind;
        volatile Instant expiresAt;

        Entry(Reservation reservation, Resource resource) {
            this.resource = resource;
            this.quantity = reservation.quantity();
            this.kind = reservation.isHold() ? Kind.HELD : Kind.PERMANENT;
            this.expiresAt = reservation.expiresAt().orElse(null);
        }

        boolean isExpiredAt(Instant now) {
            return kind == Kind.HELD && !expiresAt.isAfter(now);
        }
    }

    @Override
    public void limitPerHolder(String resourceId, long maxUnits) {
        throw new UnsupportedOperationException("limits are not part of the negative control");
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        throw new UnsupportedOperationException("orders are not part of the negative control");
    }
}
