package dev.capacity;

import dev.capacity.ReservationResult.Status;
import dev.capacity.internal.Arguments;
import dev.capacity.internal.CapacityMath;
import dev.capacity.internal.Events;
import dev.capacity.internal.Holds;
import dev.capacity.internal.Orders;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A lock-free, linearizable reservation strategy for one JVM, with no database: the reference the
 * database strategies are compared with, and a strategy in its own right for state that lives and
 * dies with the process.
 *
 * <p>Idempotency keys and holds are kept for the life of the strategy (at most one reservation per
 * key, ever; a hold can always be told from an unknown id). Released permanent reservations
 * without a key are forgotten; releasing them again answers {@code false}, confirming them
 * {@link HoldStatus#RELEASED}, just the same.
 *
 * <p>This class is threadsafe.
 */
public final class InMemoryStrategy implements ReservationStrategy {

    /*
     * Concurrency.
     *
     * Each resource holds one AtomicReference to an immutable State: its capacity, its reserved
     * count, the held part of it, and at most one pending operation descriptor. Every change to a
     * resource's numbers is a compare-and-set (CAS) of that reference, so each takes effect at one
     * instant. A reserve without a key and without a hold is a single CAS from reserved to
     * reserved + q, made only if q <= capacity - reserved in the state it replaces; a resize is a
     * single CAS of the capacity.
     *
     * Every other operation changes the numbers *and* something else exactly once: a keyed reserve
     * (and the key's claim), a hold (and the index of holds), a release or an expiry (and the
     * reservation's life), a confirm (and the life). It installs a descriptor with the tentative
     * numbers in the same CAS, decides it with a CAS on the other object, then clears it (keeping
     * or undoing the numbers). Any thread that finds a descriptor installed finishes it before
     * doing anything else, so the protocol never waits on a stalled thread (lock-freedom), and the
     * decision CAS makes helpers agree. The decision is the linearization point. A thread reads a
     * claim or a life only after reading a state without a descriptor, so a CAS based on that
     * state cannot act on an operation that was already decided.
     *
     * A reservation's Life is immutable and replaced by CAS: HELD(expiry) -> PERMANENT (confirm),
     * HELD(e1) -> HELD(e2) (extend, no change of numbers, so no descriptor), HELD or PERMANENT ->
     * ENDED (release, expiry). Only one transition from a given Life can win, so each hold ends
     * exactly once and its units come back exactly once.
     *
     * Expiry is judged by the caller's clock reading `now`. The index of a resource's holds, by
     * expiry, is a hint kept complete for every hold counted in `held`: a hold enters it before
     * its grant is cleared (in the descriptor's decision), and an extension enters its new key
     * before it changes the life; stale keys are skipped (and dropped) by whoever meets them. A
     * reserve that finds no room ends every counted hold whose expiry is at or before `now`, then
     * reads again; it refuses only after a scan that found none, with the state still the one it
     * read (the same object: no CAS in between), so the refusal is linearized at that scan and no
     * expired hold was counted against it.
     *
     * An order spans resources, in the style of Harris, Fraser and Pratt's multi-word CAS. Its
     * descriptor (Order) holds one candidate entry per line, one claim per keyed line, one part
     * per resource (that resource's lines counted together) and one outcome, null until a CAS
     * decides it. Whoever decides it, the caller or a helper, walks the same way. It claims every
     * key, in key order; a key found taken for good makes the order a repeat, decided from that
     * snapshot (every other key is the order's, unused while it is undecided, or taken for good).
     * Then it installs each part, in resource id order, as a descriptor (PartGrant) on a state
     * without one, only if the part fits (room, then each holder's units against the limit); a
     * part that does not fit after expired holds were reclaimed refuses the order, linearized at
     * that scan. Once every part is installed, one CAS grants the order: the linearization point.
     * Each part is then cleared like any descriptor, its numbers kept or undone; on a grant its
     * lines are recorded and published, its holds indexed and its holders counted (each holder's
     * units once, stamped with the part's seq) before it is cleared. A refused order's claims are
     * removed; one found later is refused, as a single request's refused claim is.
     *
     * A part stays installed until its order is decided. So a thread reads a resource's state,
     * then the order's outcome: if the order is undecided and the state has none of its parts,
     * the part was never installed; and a part installed from such a state after all belongs to
     * an order decided meanwhile, which can only be a refusal (a grant needs the part), undone by
     * whoever meets it. Likewise for claims. A thread helps a foreign descriptor or claim only
     * after reading its own order undecided, that is while the order holds every key (and, past
     * its keys, every resource) before the one it is after. An order claiming keys holds no
     * resource, and the one holding the key it wants is after keys further up, or only after
     * resources; an order installing parts is past its keys, and the one holding the resource it
     * wants is after resources further up. Helping goes up the key order, then up the resource
     * order, and never comes back round (no cycle, bounded depth): lock-free.
     */

    private static final String NAME = StrategyKind.IN_MEMORY.strategyName();

    private final ConcurrentHashMap<String, Resource> resources = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Entry> reservations = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Claim> claims = new ConcurrentHashMap<>();
    /** Ids given to candidates that were never granted: with them, a forgotten id is told from an unknown one. */
    private final Set<Long> neverGranted = ConcurrentHashMap.newKeySet();
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
        Resource existing = resources.putIfAbsent(resourceId, new Resource(resourceId, State.initial(capacity)));
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
            State state = settled(resource);
            State resized = state.withCapacity(newCapacity);
            if (resource.state.compareAndSet(state, resized)) {
                stock(resource, state.available(), resized.available());
                return;
            }
        }
    }

    @Override
    public long adjust(String resourceId, long delta) {
        Arguments.requireId(resourceId, "resourceId");
        Resource resource = existing(resourceId);
        for (;;) {
            State state = settled(resource);
            long capacity = CapacityMath.adjusted(resourceId, state.capacity, delta);
            State adjusted = state.withCapacity(capacity);
            if (resource.state.compareAndSet(state, adjusted)) {
                stock(resource, state.available(), adjusted.available());
                return capacity;
            }
        }
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        long start = System.nanoTime();
        Arguments.requireNonNull(request, "request");
        Instant now = now();
        Instant expiry = request.isHold() ? Holds.expiry(now, request.hold(), "ttl") : null;
        ReservationResult result = request.idempotencyKey() == null
                ? reserveUnkeyed(request, now, expiry)
                : reserveKeyed(request, now, expiry);
        Events.reserved(options.listener(), NAME, request, result, Duration.ofNanos(System.nanoTime() - start));
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
        Instant now = now();
        for (;;) {
            Life life = entry.life.get();
            if (life.isEnded()) {
                return false;
            }
            if (life.isExpiredAt(now)) {
                // its units come back now, by expiry, not by this release
                if (end(resource, entry, life, Life.Kind.EXPIRED)) {
                    return false;
                }
                // its life changed first (a confirm or an extension whose clock read earlier): look again
                continue;
            }
            if (end(resource, entry, life, Life.Kind.RELEASED)) {
                if (life.kind == Life.Kind.PERMANENT && !life.wasHold && entry.reservation.idempotencyKey() == null) {
                    reservations.remove(reservationId, entry);
                }
                Events.released(options.listener(), NAME, reservationId);
                return true;
            }
        }
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        Arguments.requirePositive(reservationId, "reservationId");
        return changeHold(reservationId, null);
    }

    @Override
    public HoldStatus extend(long reservationId, Duration ttl) {
        Arguments.requirePositive(reservationId, "reservationId");
        Holds.requireTtl(ttl, "ttl");
        return changeHold(reservationId, ttl);
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        List<ReservationRequest> checked = Orders.requireLines(lines);
        Instant now = now();
        List<Instant> expiries = new ArrayList<>(checked.size());
        for (ReservationRequest line : checked) {
            expiries.add(line.isHold() ? Holds.expiry(now, line.hold(), "ttl") : null);
        }
        Order order = new Order(checked, now, expiries);
        OrderResult result = answer(order, finish(order));
        Events.order(options.listener(), NAME, checked, result);
        return result;
    }

    @Override
    public void limitPerHolder(String resourceId, long maxUnits) {
        Arguments.requireId(resourceId, "resourceId");
        Arguments.requireLimit(maxUnits, "maxUnits");
        Resource resource = existing(resourceId);
        for (;;) {
            State state = settled(resource);
            if (state.holderLimit == maxUnits) {
                return;
            }
            State tentative = state.limitedTo(maxUnits, new Limit(maxUnits, state));
            if (resource.state.compareAndSet(state, tentative)) {
                help(resource, tentative);
                return;
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
        Instant now = now();
        for (;;) {
            State state = resource.state.get();
            if (state.pending != null) {
                help(resource, state);
                continue;
            }
            long expired = 0;
            for (Map.Entry<HoldKey, Entry> hold : resource.holdsUntil(now).entrySet()) {
                if (isCurrentExpired(hold.getKey(), hold.getValue().life.get(), now)) {
                    expired += hold.getValue().reservation.quantity();
                }
            }
            // the same state object: nothing changed the numbers while the holds were read
            if (resource.state.get() == state) {
                return Optional.of(new Availability(resourceId, state.capacity, state.reserved - expired,
                        state.held - expired));
            }
        }
    }

    @Override
    public String toString() {
        return "InMemoryStrategy{resources=" + resources.size() + ", " + options + '}';
    }

    // ---- reserve

    private ReservationResult reserveUnkeyed(ReservationRequest request, Instant now, Instant expiry) {
        Resource resource = resources.get(request.resourceId());
        if (resource == null) {
            return new ReservationResult(Status.UNKNOWN_RESOURCE, null, 0, 1);
        }
        int quantity = request.quantity();
        Entry candidate = null;
        for (;;) {
            State state = settled(resource);
            Status refusal = refusal(resource, state, request);
            if (refusal != null) {
                if (reclaimExpired(resource, state, now)) {
                    continue;
                }
                forget(candidate);
                return new ReservationResult(refusal, null, state.available(), 1);
            }
            if (candidate == null) {
                candidate = newEntry(request, now, expiry);
            }
            if (expiry == null && !state.isLimited()) {
                // the fast path: one CAS; the entry is recorded first and published by whoever
                // replaces the state this CAS installs (see "Concurrency")
                reservations.put(candidate.reservation.id(), candidate);
                State granted = state.granted(quantity, candidate);
                if (resource.state.compareAndSet(state, granted)) {
                    candidate.life.compareAndSet(Life.PENDING, Life.PERMANENT);
                    stock(resource, state.available(), granted.available());
                    return new ReservationResult(Status.RESERVED, candidate.reservation, granted.available(), 1);
                }
                continue;
            }
            State tentative = state.plus(quantity, expiry == null ? 0 : quantity, new Grant(null, candidate, state));
            if (resource.state.compareAndSet(state, tentative)) {
                help(resource, tentative);
                return new ReservationResult(Status.RESERVED, candidate.reservation, tentative.available(), 1);
            }
        }
    }

    /**
     * Why {@code request} cannot be granted in {@code state} (no descriptor pending): no room, or
     * its holder's limit; null if it can. Whatever the descriptor of a grant changes, it changes
     * only while installed, so a grant installed on {@code state} meets what this read.
     */
    private static Status refusal(Resource resource, State state, ReservationRequest request) {
        if (request.quantity() > state.capacity - state.reserved) {
            return Status.INSUFFICIENT_CAPACITY;
        }
        if (overLimit(resource, state, request.holderId(), request.quantity())) {
            return Status.HOLDER_LIMIT_REACHED;
        }
        return null;
    }

    /** Whether {@code units} more would take the holder past the limit of {@code state} (no descriptor pending). */
    private static boolean overLimit(Resource resource, State state, String holderId, long units) {
        return state.isLimited() && resource.holders.get().units(holderId) + units > state.holderLimit;
    }

    private ReservationResult reserveKeyed(ReservationRequest request, Instant now, Instant expiry) {
        String key = request.idempotencyKey();
        for (;;) {
            Claim mine = new Claim(request, now, expiry);
            Claim existing = claims.putIfAbsent(key, mine);
            Claim claim = existing == null ? mine : existing;
            Decision decision = settle(claim);
            if (decision.status == Status.RESERVED) {
                Entry entry = decision.entry;
                // the thread that decided may not have recorded it yet; keyed entries are never forgotten
                reservations.putIfAbsent(entry.reservation.id(), entry);
                if (claim == mine) {
                    return new ReservationResult(Status.RESERVED, entry.reservation, decision.available, 1);
                }
                return request.matches(entry.reservation)
                        ? new ReservationResult(Status.REPLAYED, entry.current(), ReservationResult.UNKNOWN_AVAILABLE, 1)
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
        if (claim.order != null) {
            // a line of an order: decided with the order, and published before it is answered
            Outcome outcome = finish(claim.order);
            claim.decision.compareAndSet(null, outcome.status == Status.RESERVED
                    ? new Decision(Status.RESERVED, claim.order.entries.get(claim.line), ReservationResult.UNKNOWN_AVAILABLE)
                    : new Decision(outcome.status, null, ReservationResult.UNKNOWN_AVAILABLE));
            return claim.decision.get();
        }
        ReservationRequest request = claim.request;
        Entry candidate = null;
        for (;;) {
            Decision decided = claim.decision.get();
            if (decided != null) {
                if (candidate != null && decided.entry != candidate) {
                    forget(candidate);
                }
                return decided;
            }
            Resource resource = resources.get(request.resourceId());
            if (resource == null) {
                claim.decision.compareAndSet(null, new Decision(Status.UNKNOWN_RESOURCE, null, 0));
                continue;
            }
            State state = settled(resource);
            if (claim.decision.get() != null) {
                continue;
            }
            int quantity = request.quantity();
            Status refusal = refusal(resource, state, request);
            if (refusal != null) {
                if (!reclaimExpired(resource, state, claim.now)) {
                    claim.decision.compareAndSet(null, new Decision(refusal, null, state.available()));
                }
                continue;
            }
            if (candidate == null) {
                candidate = newEntry(request, claim.now, claim.expiry);
            }
            int held = claim.expiry == null ? 0 : quantity;
            State tentative = state.plus(quantity, held, new Grant(claim, candidate, state));
            if (resource.state.compareAndSet(state, tentative)) {
                help(resource, tentative);
            }
        }
    }

    // ---- orders

    /**
     * Decides an order (helping it through if nobody has yet), then clears its parts and, unless it
     * was granted, frees its keys; returns the decision. Anyone may call this for any order.
     */
    private Outcome finish(Order order) {
        Outcome outcome = decide(order);
        for (Part part : order.parts) {
            Resource resource = resources.get(part.resourceId);
            if (resource != null) {
                State state = resource.state.get();
                // only a clearing replaces a state with a descriptor: one help is enough
                if (state.pending instanceof PartGrant grant && grant.order == order) {
                    help(resource, state);
                }
            }
        }
        if (outcome.status != Status.RESERVED) {
            for (Claim claim : order.claims) {
                if (claim != null) {
                    claims.remove(claim.request.idempotencyKey(), claim);
                }
            }
        }
        return outcome;
    }

    /**
     * The one decision about an order, made by whoever gets there first (see "Concurrency"):
     * every key claimed in key order (a key another reservation holds makes it a repeat), then
     * every part installed in resource id order (a part that does not fit refuses it), then
     * granted by one CAS. Every step reads the order's outcome after the object it acts on, and
     * helps a foreign descriptor only while the order is still undecided.
     */
    private Outcome decide(Order order) {
        Outcome decided = order.outcome.get();
        if (decided != null) {
            return decided;
        }
        Entry[] taken = new Entry[order.lines.size()];
        boolean repeat = false;
        for (int i : order.keyOrder) {
            Claim mine = order.claims.get(i);
            String key = mine.request.idempotencyKey();
            for (;;) {
                if (order.outcome.get() != null) {
                    return order.outcome.get();
                }
                Claim existing = claims.putIfAbsent(key, mine);
                if (existing == null || existing == mine) {
                    break;
                }
                if (order.outcome.get() != null) {
                    return order.outcome.get();
                }
                Decision decision = settle(existing);
                if (decision.status == Status.RESERVED) {
                    taken[i] = decision.entry;
                    repeat = true;
                    break;
                }
                // refused, so the key is still unused: free it (as reserveKeyed does) and claim it
                claims.remove(key, existing);
            }
        }
        if (repeat) {
            // every key is this order's (unused while it is undecided) or taken for good: one snapshot
            order.outcome.compareAndSet(null, repeated(order, taken));
            return order.outcome.get();
        }
        for (Part part : order.parts) {
            Resource resource = resources.get(part.resourceId);
            if (resource == null) {
                order.outcome.compareAndSet(null, new Outcome(Status.UNKNOWN_RESOURCE, part.firstLine, null));
                return order.outcome.get();
            }
            for (;;) {
                State state = resource.state.get();
                if (state.pending instanceof PartGrant grant && grant.order == order) {
                    break;
                }
                if (order.outcome.get() != null) {
                    return order.outcome.get();
                }
                if (state.pending != null) {
                    help(resource, state);
                    continue;
                }
                publish(state);
                Outcome refusal = part.refusal(resource, state);
                if (refusal != null) {
                    if (reclaimExpired(resource, state, order.now)) {
                        continue;
                    }
                    order.outcome.compareAndSet(null, refusal);
                    return order.outcome.get();
                }
                State tentative = state.plus(part.units, part.heldUnits, new PartGrant(order, part, state));
                if (resource.state.compareAndSet(state, tentative)) {
                    break;
                }
            }
        }
        order.outcome.compareAndSet(null, Outcome.GRANTED);
        return order.outcome.get();
    }

    /**
     * A repeat: replayed if every line is keyed and each key's reservation ({@code taken}, null
     * where the key is unused) matches its line; otherwise a conflict naming the first line that does not.
     */
    private static Outcome repeated(Order order, Entry[] taken) {
        List<Entry> earlier = new ArrayList<>(taken.length);
        for (int i = 0; i < taken.length; i++) {
            ReservationRequest line = order.lines.get(i);
            if (line.idempotencyKey() == null || taken[i] == null || !line.matches(taken[i].reservation)) {
                return new Outcome(Status.IDEMPOTENCY_KEY_CONFLICT, i, null);
            }
            earlier.add(taken[i]);
        }
        return new Outcome(Status.REPLAYED, OrderResult.NO_LINE, List.copyOf(earlier));
    }

    /** The caller's answer to a finished order; the candidates of an order not granted now are forgotten. */
    private OrderResult answer(Order order, Outcome outcome) {
        if (outcome.status == Status.RESERVED) {
            return OrderResult.granted(Status.RESERVED, order.entries.stream().map(entry -> entry.reservation).toList());
        }
        order.entries.forEach(this::forget);
        if (outcome.status != Status.REPLAYED) {
            return OrderResult.refused(outcome.status, outcome.failedLine);
        }
        List<Reservation> earlier = new ArrayList<>(outcome.earlier.size());
        for (Entry entry : outcome.earlier) {
            // the thread that decided a single keyed grant may not have recorded it yet
            reservations.putIfAbsent(entry.reservation.id(), entry);
            earlier.add(entry.current());
        }
        return OrderResult.granted(Status.REPLAYED, earlier);
    }

    // ---- holds

    /**
     * Confirms ({@code ttl} null) or extends a hold. A hold found expired is ended by expiry here,
     * its units coming back, whoever ends it.
     */
    private HoldStatus changeHold(long reservationId, Duration ttl) {
        Instant now = now();
        Instant newExpiry = ttl == null ? null : Holds.expiry(now, ttl, "ttl");
        Entry entry = reservations.get(reservationId);
        if (entry == null) {
            return reservationId <= ids.get() && !neverGranted.contains(reservationId)
                    ? HoldStatus.RELEASED : HoldStatus.UNKNOWN_RESERVATION;
        }
        Resource resource = resources.get(entry.reservation.resourceId());
        for (;;) {
            Life life = entry.life.get();
            switch (life.kind) {
                case PENDING:
                case PERMANENT:
                    return HoldStatus.ALREADY_CONFIRMED;
                case RELEASED:
                    return HoldStatus.RELEASED;
                case EXPIRED:
                    return HoldStatus.EXPIRED;
                default:
                    break;
            }
            if (life.isExpiredAt(now)) {
                end(resource, entry, life, Life.Kind.EXPIRED);
                continue;
            }
            if (newExpiry == null) {
                if (confirm(resource, entry, life)) {
                    return HoldStatus.CONFIRMED;
                }
            } else if (extend(resource, entry, life, newExpiry)) {
                return HoldStatus.EXTENDED;
            }
        }
    }

    /** Moves the hold in {@code expected} to {@code expiry}; false if its life changed first. No numbers change. */
    private static boolean extend(Resource resource, Entry entry, Life expected, Instant expiry) {
        Life extended = expected.extendedTo(expiry);
        // the new key first: a scan must find the hold under the key of its life at every moment
        resource.holds.put(new HoldKey(expiry, entry.reservation.id()), entry);
        if (entry.life.compareAndSet(expected, extended)) {
            resource.holds.remove(new HoldKey(expected.expiresAt, entry.reservation.id()), entry);
            return true;
        }
        if (!expiry.equals(entry.life.get().expiresAt)) {
            resource.holds.remove(new HoldKey(expiry, entry.reservation.id()), entry);
        }
        return false;
    }

    /**
     * Ends every hold counted on the resource whose expiry is at or before {@code now}; true if the
     * state is no longer {@code seen} (something changed: read it again), false if it still is and
     * no expired hold is counted in it.
     */
    private boolean reclaimExpired(Resource resource, State seen, Instant now) {
        for (Map.Entry<HoldKey, Entry> hold : resource.holdsUntil(now).entrySet()) {
            Entry entry = hold.getValue();
            Life life = entry.life.get();
            if (life.kind != Life.Kind.HELD) {
                // ended or confirmed: a stale key (a key of a held life may be an extension in progress)
                resource.holds.remove(hold.getKey(), entry);
            } else if (isCurrentExpired(hold.getKey(), life, now)) {
                end(resource, entry, life, Life.Kind.EXPIRED);
            }
        }
        return resource.state.get() != seen;
    }

    /** Whether {@code key} is the key of {@code life} (not a stale one) and that hold has expired by {@code now}. */
    private static boolean isCurrentExpired(HoldKey key, Life life, Instant now) {
        return life.isExpiredAt(now) && life.expiresAt.equals(key.expiresAt);
    }

    /** Makes the hold in {@code expected} permanent: its units leave {@code held}; false if its life changed first. */
    private boolean confirm(Resource resource, Entry entry, Life expected) {
        return change(resource, entry, expected, expected.confirmed());
    }

    /**
     * Ends the reservation whose life is {@code expected}, as {@code kind}: its units come back.
     * True if this call ended it; false if its life changed first (someone else ended, confirmed
     * or extended it).
     */
    private boolean end(Resource resource, Entry entry, Life expected, Life.Kind kind) {
        return change(resource, entry, expected, expected.ended(kind));
    }

    /**
     * Moves the reservation from the life {@code expected} to {@code next} through a descriptor,
     * with the numbers the move changes; true if this call moved it, false if its life changed first.
     */
    private boolean change(Resource resource, Entry entry, Life expected, Life next) {
        for (;;) {
            State state = settled(resource);
            if (entry.life.get() != expected) {
                return false;
            }
            LifeChange change = new LifeChange(entry, expected, next, state);
            int quantity = entry.reservation.quantity();
            State tentative = state.plus(next.isEnded() ? -quantity : 0,
                    expected.kind == Life.Kind.HELD ? -quantity : 0, change);
            if (resource.state.compareAndSet(state, tentative)) {
                help(resource, tentative);
                boolean moved = change.kept();
                if (moved && expected.kind == Life.Kind.HELD) {
                    Events.holdEnded(options.listener(), NAME, entry.reservation.id(),
                            next.kind == Life.Kind.EXPIRED ? HoldStatus.EXPIRED
                                    : next.kind == Life.Kind.RELEASED ? HoldStatus.RELEASED : HoldStatus.CONFIRMED);
                }
                return moved;
            }
        }
    }

    // ---- descriptors

    /** Finishes the descriptor pending in {@code state}: decides it, then clears it. */
    private void help(Resource resource, State state) {
        Operation operation = state.pending;
        boolean keep = operation.decideOnce(resource, state);
        if (keep && operation instanceof Grant grant) {
            reservations.putIfAbsent(grant.entry.reservation.id(), grant.entry);
        }
        // one thread settles the descriptor: it alone tells a move across zero (a descriptor keeps the capacity)
        if (resource.state.compareAndSet(state, keep ? state.cleared() : state.undone(operation)) && keep) {
            stock(resource, Math.max(0, state.capacity - operation.reservedBefore), state.available());
        }
    }

    /** Tells the listener if a settled change of the resource took its available units from {@code before} across zero. */
    private void stock(Resource resource, long before, long after) {
        if ((before > 0) != (after > 0)) {
            Events.stock(options.listener(), NAME, resource.id, before, after);
        }
    }

    /**
     * The resource's state once no descriptor is pending on it, with the entry of the last fast
     * grant published: every CAS of a state replaces one read here (see "Concurrency").
     */
    private State settled(Resource resource) {
        for (;;) {
            State state = resource.state.get();
            if (state.pending != null) {
                help(resource, state);
                continue;
            }
            publish(state);
            return state;
        }
    }

    /** Publishes the entry of the last fast grant in {@code state}, before a CAS replaces it (see "Concurrency"). */
    private static void publish(State state) {
        if (state.lastGrant != null) {
            state.lastGrant.life.compareAndSet(Life.PENDING, Life.PERMANENT);
        }
    }

    private Resource existing(String resourceId) {
        Resource resource = resources.get(resourceId);
        if (resource == null) {
            throw new IllegalArgumentException("resourceId '" + resourceId + "' is not defined");
        }
        return resource;
    }

    private Entry newEntry(ReservationRequest request, Instant now, Instant expiry) {
        Reservation reservation = new Reservation(ids.incrementAndGet(), request.resourceId(), request.holderId(),
                request.quantity(), request.idempotencyKey(), now, Optional.ofNullable(expiry));
        return new Entry(reservation, expiry == null ? Life.PENDING : Life.held(expiry));
    }

    /** A candidate that was never granted: its id is known to be no reservation's. */
    private void forget(Entry candidate) {
        if (candidate != null) {
            reservations.remove(candidate.reservation.id(), candidate);
            neverGranted.add(candidate.reservation.id());
        }
    }

    private Instant now() {
        return options.clock().instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static final class Resource {
        final AtomicReference<State> state;
        /** The holds counted in {@code held}, by expiry; may hold stale keys (see "Concurrency"). */
        final ConcurrentSkipListMap<HoldKey, Entry> holds = new ConcurrentSkipListMap<>();
        /** The holders' live units, while the resource has a per-holder limit. */
        final AtomicReference<HolderTable> holders = new AtomicReference<>(HolderTable.NONE);
        final String id;

        Resource(String id, State initial) {
            this.id = id;
            this.state = new AtomicReference<>(initial);
        }

        /** The indexed holds whose key expires at or before {@code now}. */
        Map<HoldKey, Entry> holdsUntil(Instant now) {
            return holds.headMap(new HoldKey(now, Long.MAX_VALUE), true);
        }
    }

    /** A hold in the index: its expiry, then its id. */
    private record HoldKey(Instant expiresAt, long id) implements Comparable<HoldKey> {
        @Override
        public int compareTo(HoldKey other) {
            int byExpiry = expiresAt.compareTo(other.expiresAt);
            return byExpiry != 0 ? byExpiry : Long.compare(id, other.id);
        }
    }

    /** An immutable snapshot; {@code pending} is a descriptor whose numbers are tentative. */
    private static final class State {
        final long capacity;
        final long reserved;
        /** The part of {@code reserved} that is holds not yet ended or confirmed, expired ones included. */
        final long held;
        /** The most live units one holder may have; {@link Long#MAX_VALUE} when there is no limit. */
        final long holderLimit;
        /** How many descriptors were installed on the resource: orders what they change in the holders' table. */
        final long seq;
        final Operation pending;
        /** The entry this state's fast grant made, until the next CAS publishes it (see "Concurrency"). */
        final Entry lastGrant;

        private State(long capacity, long reserved, long held, long holderLimit, long seq, Operation pending,
                      Entry lastGrant) {
            this.capacity = capacity;
            this.reserved = reserved;
            this.held = held;
            this.holderLimit = holderLimit;
            this.seq = seq;
            this.pending = pending;
            this.lastGrant = lastGrant;
        }

        static State initial(long capacity) {
            return new State(capacity, 0, 0, Long.MAX_VALUE, 0, null, null);
        }

        boolean isLimited() {
            return holderLimit != Long.MAX_VALUE;
        }

        State withCapacity(long newCapacity) {
            return new State(newCapacity, reserved, held, holderLimit, seq, null, null);
        }

        /** A fast grant of {@code quantity} to {@code entry}, with no descriptor. */
        State granted(long quantity, Entry entry) {
            return new State(capacity, reserved + quantity, held, holderLimit, seq, null, entry);
        }

        /** The tentative state of a descriptor. */
        State plus(long reservedDelta, long heldDelta, Operation operation) {
            return new State(capacity, reserved + reservedDelta, held + heldDelta, holderLimit, seq + 1, operation, null);
        }

        /** The tentative state of a new per-holder limit. */
        State limitedTo(long limit, Operation operation) {
            return new State(capacity, reserved, held, limit, seq + 1, operation, null);
        }

        /** This tentative state, its descriptor done and kept. */
        State cleared() {
            return new State(capacity, reserved, held, holderLimit, seq, null, null);
        }

        /** The state before {@code operation}, its descriptor done and undone. */
        State undone(Operation operation) {
            return new State(capacity, operation.reservedBefore, operation.heldBefore, operation.limitBefore, seq, null, null);
        }

        long available() {
            return Math.max(0, capacity - reserved);
        }
    }

    /**
     * The live units of each holder of a limited resource, built when the limit is set. Only the
     * descriptor installed on the resource changes a count, once: a count remembers the
     * {@code seq} of the descriptor that changed it last, so a helper that comes late changes
     * nothing (see "Concurrency"). Threadsafe.
     */
    private static final class HolderTable {
        static final HolderTable NONE = new HolderTable(0, new ConcurrentHashMap<>());

        final long builtAt;
        final ConcurrentHashMap<String, AtomicReference<Units>> counts;

        HolderTable(long builtAt, ConcurrentHashMap<String, AtomicReference<Units>> counts) {
            this.builtAt = builtAt;
            this.counts = counts;
        }

        /** A holder's live units (expired holds nobody ended included). */
        long units(String holderId) {
            AtomicReference<Units> count = counts.get(holderId);
            return count == null ? 0 : count.get().units;
        }

        /** Adds {@code delta} to a holder's count on behalf of the descriptor {@code seq}, once. */
        void add(String holderId, long delta, long seq) {
            if (seq <= builtAt) {
                // a late helper of a descriptor older than this table: its change is in the counts already
                return;
            }
            AtomicReference<Units> count = counts.computeIfAbsent(holderId, h -> new AtomicReference<>(new Units(0, 0)));
            for (;;) {
                Units units = count.get();
                if (units.lastSeq >= seq || count.compareAndSet(units, new Units(units.units + delta, seq))) {
                    return;
                }
            }
        }
    }

    /** A holder's count and the descriptor that changed it last. */
    private record Units(long units, long lastSeq) {}

    /** What a reservation is now. Immutable: every change is a CAS of a new one. */
    private static final class Life {
        /** PENDING: a permanent candidate not yet granted (or granted and not yet published). */
        enum Kind { PENDING, HELD, PERMANENT, RELEASED, EXPIRED }

        static final Life PENDING = new Life(Kind.PENDING, null, false);
        static final Life PERMANENT = new Life(Kind.PERMANENT, null, false);

        final Kind kind;
        /** HELD: when it expires; after a hold ended: when it was to expire; otherwise null. */
        final Instant expiresAt;
        /** Whether it began as a hold. */
        final boolean wasHold;

        private Life(Kind kind, Instant expiresAt, boolean wasHold) {
            this.kind = kind;
            this.expiresAt = expiresAt;
            this.wasHold = wasHold;
        }

        static Life held(Instant expiresAt) {
            return new Life(Kind.HELD, expiresAt, true);
        }

        boolean isEnded() {
            return kind == Kind.RELEASED || kind == Kind.EXPIRED;
        }

        boolean isExpiredAt(Instant now) {
            return kind == Kind.HELD && !expiresAt.isAfter(now);
        }

        Life extendedTo(Instant expiry) {
            return new Life(Kind.HELD, expiry, true);
        }

        Life confirmed() {
            return new Life(Kind.PERMANENT, null, wasHold);
        }

        Life ended(Kind how) {
            return new Life(how, expiresAt, wasHold);
        }
    }

    /** A granted reservation and its life. */
    private static final class Entry {
        final Reservation reservation;
        final AtomicReference<Life> life;

        Entry(Reservation reservation, Life life) {
            this.reservation = reservation;
            this.life = new AtomicReference<>(life);
        }

        /** The reservation as it is now: a hold shows its current expiry, a confirmed one none. */
        Reservation current() {
            Life now = life.get();
            Optional<Instant> expiry = Optional.ofNullable(now.expiresAt);
            if (expiry.equals(reservation.expiresAt())) {
                return reservation;
            }
            return new Reservation(reservation.id(), reservation.resourceId(), reservation.holderId(),
                    reservation.quantity(), reservation.idempotencyKey(), reservation.createdAt(), expiry);
        }
    }

    /** The one decision about an idempotency key's request. */
    private static final class Claim {
        final ReservationRequest request;
        final Instant now;
        final Instant expiry;
        /** The order whose line this is, decided with it; null for a single request. */
        final Order order;
        /** The line's index in {@link #order}. */
        final int line;
        final AtomicReference<Decision> decision = new AtomicReference<>();

        Claim(ReservationRequest request, Instant now, Instant expiry) {
            this(request, now, expiry, null, -1);
        }

        Claim(ReservationRequest request, Instant now, Instant expiry, Order order, int line) {
            this.request = request;
            this.now = now;
            this.expiry = expiry;
            this.order = order;
            this.line = line;
        }
    }

    private record Decision(Status status, Entry entry, long available) {}

    /** A descriptor: tentative numbers that stand only if {@link #decide} says so. */
    private abstract static class Operation {
        final long reservedBefore;
        final long heldBefore;
        final long limitBefore;
        /**
         * The decision, made once while the descriptor is installed: whether the numbers are kept
         * (the operation took effect). A helper that comes late, after the descriptor was cleared
         * and the reservation changed again, must not decide anew from what it sees then.
         */
        private final AtomicReference<Boolean> decision = new AtomicReference<>();

        Operation(State before) {
            this.reservedBefore = before.reserved;
            this.heldBefore = before.held;
            this.limitBefore = before.holderLimit;
        }

        /** Decides this operation, or reads the decision already made; true keeps its numbers. */
        final boolean decideOnce(Resource resource, State tentative) {
            Boolean decided = decision.get();
            if (decided == null) {
                decision.compareAndSet(null, decide(resource, tentative));
                decided = decision.get();
            }
            return decided;
        }

        /** Whether the operation took effect; called after helping it through. */
        final boolean kept() {
            return decision.get();
        }

        /** Makes (or reads) the one decision about this operation; true keeps its numbers. */
        abstract boolean decide(Resource resource, State tentative);
    }

    /** A grant: of a keyed request (decided by its claim), or of a hold without a key (always kept). */
    private static final class Grant extends Operation {
        final Claim claim;
        final Entry entry;

        Grant(Claim claim, Entry entry, State before) {
            super(before);
            this.claim = claim;
            this.entry = entry;
        }

        @Override
        boolean decide(Resource resource, State tentative) {
            boolean granted = claim == null || (claim.decision.compareAndSet(null,
                    new Decision(Status.RESERVED, entry, tentative.available())) || claim.decision.get().entry == entry);
            if (!granted) {
                return false;
            }
            entry.life.compareAndSet(Life.PENDING, Life.PERMANENT);
            if (tentative.isLimited()) {
                resource.holders.get().add(entry.reservation.holderId(), entry.reservation.quantity(), tentative.seq);
            }
            if (entry.reservation.isHold()) {
                // indexed before the grant is cleared: see "Concurrency"
                resource.holds.put(new HoldKey(entry.reservation.expiresAt().orElseThrow(), entry.reservation.id()), entry);
            }
            return granted;
        }
    }

    /**
     * A reservation moving from one life to the next: ended (by release or expiry, its units come
     * back) or confirmed (its units leave {@code held}).
     */
    private static final class LifeChange extends Operation {
        final Entry entry;
        final Life expected;
        final Life next;

        LifeChange(Entry entry, Life expected, Life next, State before) {
            super(before);
            this.entry = entry;
            this.expected = expected;
            this.next = next;
        }

        @Override
        boolean decide(Resource resource, State tentative) {
            entry.life.compareAndSet(expected, next);
            boolean mine = entry.life.get() == next;
            if (mine && next.isEnded() && tentative.isLimited()) {
                resource.holders.get().add(entry.reservation.holderId(), -entry.reservation.quantity(), tentative.seq);
            }
            if (mine && expected.kind == Life.Kind.HELD) {
                resource.holds.remove(new HoldKey(expected.expiresAt, entry.reservation.id()), entry);
            }
            return mine;
        }
    }

    /**
     * An order's part on one resource, installed with the part's units (see "Concurrency"): kept
     * if the order is granted, when each line's reservation is recorded and published, its holds
     * indexed and its holders' units counted, once per holder, before the part is cleared.
     */
    private final class PartGrant extends Operation {
        final Order order;
        final Part part;

        PartGrant(Order order, Part part, State before) {
            super(before);
            this.order = order;
            this.part = part;
        }

        @Override
        boolean decide(Resource resource, State tentative) {
            if (InMemoryStrategy.this.decide(order).status != Status.RESERVED) {
                return false;
            }
            for (Entry entry : part.entries) {
                reservations.putIfAbsent(entry.reservation.id(), entry);
                entry.life.compareAndSet(Life.PENDING, Life.PERMANENT);
                if (entry.reservation.isHold()) {
                    // indexed before the part is cleared: see "Concurrency"
                    resource.holds.put(new HoldKey(entry.reservation.expiresAt().orElseThrow(), entry.reservation.id()), entry);
                }
            }
            if (tentative.isLimited()) {
                HolderTable table = resource.holders.get();
                part.holders.forEach((holder, units) -> table.add(holder, units, tentative.seq));
            }
            return true;
        }
    }

    /**
     * An order: its lines' candidates and claims, its parts by resource, and the one decision
     * about it. Shared by every thread that helps it; immutable but for the decision.
     */
    private final class Order {
        final List<ReservationRequest> lines;
        final Instant now;
        /** One candidate per line, in line order. */
        final List<Entry> entries;
        /** One claim per keyed line, in line order; null for a line without a key. */
        final List<Claim> claims;
        /** The keyed lines' indexes, by key: the one order in which every order claims keys. */
        final List<Integer> keyOrder;
        /** The parts, by resource id: the one order in which every order takes resources. */
        final List<Part> parts;
        final AtomicReference<Outcome> outcome = new AtomicReference<>();

        Order(List<ReservationRequest> lines, Instant now, List<Instant> expiries) {
            this.lines = lines;
            this.now = now;
            List<Entry> candidates = new ArrayList<>(lines.size());
            List<Claim> keyed = new ArrayList<>(lines.size());
            List<Integer> byKey = new ArrayList<>();
            Map<String, List<Integer>> byResource = new TreeMap<>();
            for (int i = 0; i < lines.size(); i++) {
                ReservationRequest line = lines.get(i);
                candidates.add(newEntry(line, now, expiries.get(i)));
                keyed.add(line.idempotencyKey() == null ? null : new Claim(line, now, expiries.get(i), this, i));
                if (line.idempotencyKey() != null) {
                    byKey.add(i);
                }
                byResource.computeIfAbsent(line.resourceId(), r -> new ArrayList<>()).add(i);
            }
            byKey.sort(Comparator.comparing(i -> lines.get(i).idempotencyKey()));
            this.entries = List.copyOf(candidates);
            this.claims = Collections.unmodifiableList(keyed);
            this.keyOrder = List.copyOf(byKey);
            List<Part> taken = new ArrayList<>(byResource.size());
            byResource.forEach((resourceId, indexes) -> taken.add(new Part(resourceId, indexes, entries)));
            this.parts = List.copyOf(taken);
        }
    }

    /** The lines of an order on one resource, counted together. Immutable. */
    private static final class Part {
        final String resourceId;
        /** The part's first line: the line a refusal for room names. */
        final int firstLine;
        final List<Entry> entries;
        final long units;
        final long heldUnits;
        /** Each holder's units, by holder id. */
        final Map<String, Long> holders = new TreeMap<>();
        /** Each holder's first line: the line a refusal for that holder's limit names. */
        final Map<String, Integer> holdersFirstLine = new TreeMap<>();

        Part(String resourceId, List<Integer> lines, List<Entry> orderEntries) {
            this.resourceId = resourceId;
            this.firstLine = lines.get(0);
            List<Entry> mine = new ArrayList<>(lines.size());
            long all = 0;
            long held = 0;
            for (int i : lines) {
                Entry entry = orderEntries.get(i);
                Reservation reservation = entry.reservation;
                mine.add(entry);
                all += reservation.quantity();
                held += reservation.isHold() ? reservation.quantity() : 0;
                holders.merge(reservation.holderId(), (long) reservation.quantity(), Long::sum);
                holdersFirstLine.putIfAbsent(reservation.holderId(), i);
            }
            this.entries = List.copyOf(mine);
            this.units = all;
            this.heldUnits = held;
        }

        /**
         * Why this part cannot be installed on {@code state} (no descriptor pending), as a
         * refusal of the order naming a line: no room, then a holder's limit (holders by id); null if it fits.
         */
        Outcome refusal(Resource resource, State state) {
            if (units > state.capacity - state.reserved) {
                return new Outcome(Status.INSUFFICIENT_CAPACITY, firstLine, null);
            }
            for (Map.Entry<String, Long> holder : holders.entrySet()) {
                if (overLimit(resource, state, holder.getKey(), holder.getValue())) {
                    return new Outcome(Status.HOLDER_LIMIT_REACHED, holdersFirstLine.get(holder.getKey()), null);
                }
            }
            return null;
        }
    }

    /**
     * The decision about an order: RESERVED (granted now), REPLAYED (with the earlier reservations,
     * in line order) or a refusal naming a line.
     */
    private record Outcome(Status status, int failedLine, List<Entry> earlier) {
        static final Outcome GRANTED = new Outcome(Status.RESERVED, OrderResult.NO_LINE, null);
    }

    /**
     * A new per-holder limit. Setting the first one counts every holder's live units; removing it
     * drops the counts; changing it keeps them (a lower limit keeps what holders have and refuses
     * more, as a shrink does).
     */
    private final class Limit extends Operation {
        final long limit;

        Limit(long limit, State before) {
            super(before);
            this.limit = limit;
        }

        @Override
        boolean decide(Resource resource, State tentative) {
            HolderTable current = resource.holders.get();
            if (current.builtAt >= tentative.seq) {
                return true;
            }
            if (limit == Long.MAX_VALUE) {
                resource.holders.compareAndSet(current, new HolderTable(tentative.seq, new ConcurrentHashMap<>()));
            } else if (limitBefore == Long.MAX_VALUE) {
                resource.holders.compareAndSet(current, new HolderTable(tentative.seq, countHolders(resource, tentative.seq)));
            }
            return true;
        }
    }

    /**
     * Every holder's live units on a resource, from its granted reservations: while a descriptor is
     * installed, no grant or end on it can happen, and every grant before it has been published.
     */
    private ConcurrentHashMap<String, AtomicReference<Units>> countHolders(Resource resource, long seq) {
        ConcurrentHashMap<String, AtomicReference<Units>> counts = new ConcurrentHashMap<>();
        for (Entry entry : reservations.values()) {
            Life.Kind kind = entry.life.get().kind;
            if ((kind == Life.Kind.HELD || kind == Life.Kind.PERMANENT) && resources.get(entry.reservation.resourceId()) == resource) {
                counts.compute(entry.reservation.holderId(), (holder, count) -> new AtomicReference<>(new Units(
                        (count == null ? 0 : count.get().units) + entry.reservation.quantity(), seq)));
            }
        }
        return counts;
    }
}
