package dev.capacity;

import dev.capacity.ReservationResult.Status;
import dev.capacity.internal.Arguments;
import dev.capacity.internal.CapacityMath;
import dev.capacity.internal.Events;

import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A lock-free, linearizable reservation strategy for one JVM, with no database: the reference the
 * database strategies are compared with, and a strategy in its own right for state that lives and
 * dies with the process.
 *
 * <h2>Concurrency</h2>
 * Each resource holds one {@link AtomicReference} to an immutable {@code State}: its capacity, its
 * reserved count and at most one pending operation descriptor. Every change to a resource is a
 * compare-and-set of that reference, so each operation takes effect at one instant:
 * <ul>
 *   <li>A reserve without a key is a single CAS from {@code reserved} to {@code reserved + q},
 *       made only if {@code q <= capacity - reserved} in the state it replaces. A rejection takes
 *       effect at the read of a state without room.</li>
 *   <li>A resize is a single CAS of the capacity. A reserve that read the old capacity fails its
 *       CAS and reads again, so no grant ever exceeds the capacity in force.</li>
 *   <li>Two operations must change a resource <em>and</em> something else exactly once: a keyed
 *       reserve (the resource and the key's claim) and a release (the resource and the
 *       reservation's released mark). They install a descriptor with the tentative numbers in the
 *       same CAS, then decide it with a CAS on the other object, then clear it (keeping or undoing
 *       the numbers). Any thread that finds a descriptor installed finishes it before doing
 *       anything else, so the protocol never waits on a stalled thread (lock-freedom), and the
 *       decision CAS makes helpers agree (each key is granted once, each reservation released
 *       once). The decision is the linearization point.</li>
 * </ul>
 * A thread checks a claim or a released mark only <em>after</em> reading a state without a
 * descriptor; since deciding requires a descriptor that is cleared only after the decision, a
 * CAS based on that state cannot act on an operation that was already decided.
 *
 * <p>Reads ({@link #availability}) finish any pending descriptor first, so they see a state in
 * which every operation is either wholly done or not started.
 *
 * <p>Idempotency keys are kept for the life of the strategy (at most one reservation per key,
 * ever). Released reservations without a key are forgotten; releasing them again answers
 * {@code false} just the same.
 *
 * <p>This class is threadsafe.
 */
public final class InMemoryStrategy implements ReservationStrategy {

    private static final String NAME = StrategyKind.IN_MEMORY.strategyName();

    private final ConcurrentHashMap<String, Resource> resources = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Entry> reservations = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Claim> claims = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final StrategyOptions options;

    /** A strategy with {@link StrategyOptions#defaults()}. */
    public InMemoryStrategy() {
        this(StrategyOptions.defaults());
    }

    /** A strategy that stamps reservations with {@code options.clock()} and reports to its listener. */
    public InMemoryStrategy(StrategyOptions options) {
        this.options = Arguments.requireNonNull(options, "options");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void define(String resourceId, long capacity) {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireNonNegative(capacity, "capacity");
        Resource existing = resources.putIfAbsent(resourceId, new Resource(new State(capacity, 0, null)));
        if (existing != null) {
            long current = existing.state.get().capacity;
            if (current != capacity) {
                throw new IllegalStateException("resource '" + resourceId + "' already exists with capacity "
                        + current + ", not " + capacity + "; use resize to change it");
            }
        }
    }

    @Override
    public void resize(String resourceId, long newCapacity) {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireNonNegative(newCapacity, "newCapacity");
        Resource resource = existing(resourceId);
        for (;;) {
            State state = resource.state.get();
            if (state.pending != null) {
                help(resource, state);
            } else if (resource.state.compareAndSet(state, new State(newCapacity, state.reserved, null))) {
                return;
            }
        }
    }

    @Override
    public long adjust(String resourceId, long delta) {
        Arguments.requireId(resourceId, "resourceId");
        Resource resource = existing(resourceId);
        for (;;) {
            State state = resource.state.get();
            if (state.pending != null) {
                help(resource, state);
                continue;
            }
            long capacity = CapacityMath.adjusted(resourceId, state.capacity, delta);
            if (resource.state.compareAndSet(state, new State(capacity, state.reserved, null))) {
                return capacity;
            }
        }
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        Arguments.requireNonNull(request, "request");
        ReservationResult result = request.idempotencyKey() == null ? reserveUnkeyed(request) : reserveKeyed(request);
        Events.outcome(options.listener(), NAME, request, result);
        return result;
    }

    @Override
    public boolean release(long reservationId) {
        Arguments.requirePositive(reservationId, "reservationId");
        Entry entry = reservations.get(reservationId);
        if (entry == null) {
            return false;
        }
        Resource resource = resources.get(entry.reservation.resourceId());
        for (;;) {
            State state = resource.state.get();
            if (state.pending != null) {
                help(resource, state);
                continue;
            }
            if (entry.releasedBy.get() != null) {
                return false;
            }
            Release release = new Release(entry, state.reserved);
            State tentative = new State(state.capacity, state.reserved - entry.reservation.quantity(), release);
            if (resource.state.compareAndSet(state, tentative)) {
                help(resource, tentative);
                if (entry.releasedBy.get() != release) {
                    return false;
                }
                reservations.remove(reservationId, entry);
                Events.released(options.listener(), NAME, reservationId);
                return true;
            }
        }
    }

    @Override
    public Optional<Availability> availability(String resourceId) {
        Arguments.requireId(resourceId, "resourceId");
        Resource resource = resources.get(resourceId);
        if (resource == null) {
            return Optional.empty();
        }
        for (;;) {
            State state = resource.state.get();
            if (state.pending == null) {
                return Optional.of(new Availability(resourceId, state.capacity, state.reserved));
            }
            help(resource, state);
        }
    }

    @Override
    public String toString() {
        return "InMemoryStrategy{resources=" + resources.size() + ", " + options + '}';
    }

    private ReservationResult reserveUnkeyed(ReservationRequest request) {
        Resource resource = resources.get(request.resourceId());
        if (resource == null) {
            return new ReservationResult(Status.UNKNOWN_RESOURCE, null, 0, 1);
        }
        int quantity = request.quantity();
        for (;;) {
            State state = resource.state.get();
            if (state.pending != null) {
                help(resource, state);
                continue;
            }
            if (quantity > state.capacity - state.reserved) {
                return new ReservationResult(Status.INSUFFICIENT_CAPACITY, null, state.available(), 1);
            }
            State granted = new State(state.capacity, state.reserved + quantity, null);
            if (resource.state.compareAndSet(state, granted)) {
                Entry entry = newEntry(request);
                reservations.put(entry.reservation.id(), entry);
                return new ReservationResult(Status.RESERVED, entry.reservation, granted.available(), 1);
            }
        }
    }

    private ReservationResult reserveKeyed(ReservationRequest request) {
        String key = request.idempotencyKey();
        for (;;) {
            Claim mine = new Claim(request);
            Claim existing = claims.putIfAbsent(key, mine);
            Claim claim = existing == null ? mine : existing;
            Decision decision = settle(claim);
            if (decision.status == Status.RESERVED) {
                Entry entry = decision.entry;
                if (entry.releasedBy.get() == null) {
                    reservations.putIfAbsent(entry.reservation.id(), entry);
                }
                if (claim == mine) {
                    return new ReservationResult(Status.RESERVED, entry.reservation, decision.available, 1);
                }
                return request.matches(entry.reservation)
                        ? new ReservationResult(Status.REPLAYED, entry.reservation, ReservationResult.UNKNOWN_AVAILABLE, 1)
                        : new ReservationResult(Status.IDEMPOTENCY_KEY_CONFLICT, null, ReservationResult.UNKNOWN_AVAILABLE, 1);
            }
            // the claim was refused, so the key is still unused: free it
            claims.remove(key, claim);
            if (claim == mine) {
                return new ReservationResult(decision.status, null, decision.available, 1);
            }
        }
    }

    /** Decides a claim, helping whatever is pending on its resource; returns the decision. */
    private Decision settle(Claim claim) {
        ReservationRequest request = claim.request;
        for (;;) {
            Decision decided = claim.decision.get();
            if (decided != null) {
                return decided;
            }
            Resource resource = resources.get(request.resourceId());
            if (resource == null) {
                claim.decision.compareAndSet(null, new Decision(Status.UNKNOWN_RESOURCE, null, 0));
                continue;
            }
            State state = resource.state.get();
            if (state.pending != null) {
                help(resource, state);
                continue;
            }
            if (claim.decision.get() != null) {
                continue;
            }
            if (request.quantity() > state.capacity - state.reserved) {
                claim.decision.compareAndSet(null, new Decision(Status.INSUFFICIENT_CAPACITY, null, state.available()));
                continue;
            }
            Grant grant = new Grant(claim, newEntry(request), state.reserved);
            State tentative = new State(state.capacity, state.reserved + request.quantity(), grant);
            if (resource.state.compareAndSet(state, tentative)) {
                help(resource, tentative);
            }
        }
    }

    /** Finishes the descriptor pending in {@code state}: decides it, then clears it. */
    private void help(Resource resource, State state) {
        Operation operation = state.pending;
        boolean keep = operation.decide(state);
        if (keep && operation instanceof Grant grant) {
            reservations.putIfAbsent(grant.entry.reservation.id(), grant.entry);
        }
        long reserved = keep ? state.reserved : operation.reservedBefore;
        resource.state.compareAndSet(state, new State(state.capacity, reserved, null));
    }

    private Resource existing(String resourceId) {
        Resource resource = resources.get(resourceId);
        if (resource == null) {
            throw new IllegalArgumentException("resourceId '" + resourceId + "' is not defined");
        }
        return resource;
    }

    private Entry newEntry(ReservationRequest request) {
        Reservation reservation = new Reservation(ids.incrementAndGet(), request.resourceId(), request.holderId(),
                request.quantity(), request.idempotencyKey(),
                options.clock().instant().truncatedTo(ChronoUnit.MICROS));
        return new Entry(reservation);
    }

    private static final class Resource {
        final AtomicReference<State> state;

        Resource(State initial) {
            this.state = new AtomicReference<>(initial);
        }
    }

    /** An immutable snapshot; {@code pending} is a descriptor whose numbers are tentative. */
    private static final class State {
        final long capacity;
        final long reserved;
        final Operation pending;

        State(long capacity, long reserved, Operation pending) {
            this.capacity = capacity;
            this.reserved = reserved;
            this.pending = pending;
        }

        long available() {
            return Math.max(0, capacity - reserved);
        }
    }

    /** A granted reservation and the release that took it back, if any. */
    private static final class Entry {
        final Reservation reservation;
        final AtomicReference<Release> releasedBy = new AtomicReference<>();

        Entry(Reservation reservation) {
            this.reservation = reservation;
        }
    }

    /** The one decision about an idempotency key's request. */
    private static final class Claim {
        final ReservationRequest request;
        final AtomicReference<Decision> decision = new AtomicReference<>();

        Claim(ReservationRequest request) {
            this.request = request;
        }
    }

    private record Decision(Status status, Entry entry, long available) {}

    /** A descriptor: tentative numbers that stand only if {@link #decide} says so. */
    private abstract static class Operation {
        final long reservedBefore;

        Operation(long reservedBefore) {
            this.reservedBefore = reservedBefore;
        }

        /** Makes (or reads) the one decision about this operation; true keeps its numbers. */
        abstract boolean decide(State tentative);
    }

    private static final class Grant extends Operation {
        final Claim claim;
        final Entry entry;

        Grant(Claim claim, Entry entry, long reservedBefore) {
            super(reservedBefore);
            this.claim = claim;
            this.entry = entry;
        }

        @Override
        boolean decide(State tentative) {
            claim.decision.compareAndSet(null, new Decision(Status.RESERVED, entry, tentative.available()));
            return claim.decision.get().entry == entry;
        }
    }

    private static final class Release extends Operation {
        final Entry entry;

        Release(Entry entry, long reservedBefore) {
            super(reservedBefore);
            this.entry = entry;
        }

        @Override
        boolean decide(State tentative) {
            entry.releasedBy.compareAndSet(null, this);
            return entry.releasedBy.get() == this;
        }
    }
}
