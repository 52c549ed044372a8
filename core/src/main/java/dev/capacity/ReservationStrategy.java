package dev.capacity;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Sells a limited number of units of named resources to many concurrent callers without ever
 * overselling, losing an update or double-booking.
 *
 * <p>Every implementation keeps the same invariants: a reservation is granted only if it fits the
 * capacity in force when it takes effect; when demand exceeds capacity the last unit is sold; the
 * reserved count equals the sum of the unreleased reservations; every outcome other than
 * {@link ReservationResult.Status#RESERVED} and {@link ReservationResult.Status#REPLAYED} writes
 * nothing; an idempotency key yields at most one reservation, ever; a reservation is released at
 * most once.
 *
 * <p>A full resource is a normal answer ({@link ReservationResult.Status#INSUFFICIENT_CAPACITY}),
 * not an exception. Broken infrastructure is a {@link CapacityException}; bad arguments are an
 * {@link IllegalArgumentException} or {@link NullPointerException} naming the argument, thrown
 * before anything is written.
 *
 * <p>Implementations are threadsafe: one instance serves many threads.
 */
public interface ReservationStrategy {

    /**
     * The stable name of this strategy: {@code "optimistic-version"}, {@code "pessimistic-lock"},
     * {@code "conditional-update"}, {@code "unique-slots"}, {@code "combining"} or {@code "in-memory"}.
     */
    String name();

    /**
     * Creates a resource with the given capacity. Does nothing if it already exists with that
     * capacity.
     *
     * @throws IllegalStateException if the resource exists with another capacity, or belongs to
     *     the other strategy family (counter strategies and unique-slots keep separate resources)
     */
    void define(String resourceId, long capacity);

    /**
     * Changes the capacity of a resource. Growing takes effect at once. Shrinking below what is
     * reserved is allowed: existing reservations stay, and new ones are refused until releases
     * bring the reserved count under the new capacity.
     *
     * @throws IllegalArgumentException if there is no such resource
     */
    void resize(String resourceId, long newCapacity);

    /**
     * Changes the capacity of a resource by {@code delta} units (negative to shrink) in one atomic
     * step, and returns the new capacity. Unlike a {@link #resize} computed from a value read
     * earlier, two concurrent adjustments both count: restocking 50 units while someone else
     * restocks 20 gives 70 more, never 50 or 20. Shrinking follows the rules of {@link #resize}.
     *
     * @throws IllegalArgumentException if there is no such resource
     * @throws IllegalStateException if the capacity would fall below zero or overflow; nothing changes
     */
    long adjust(String resourceId, long delta);

    /**
     * Reserves {@code request.quantity()} units, or says why not. A request with a hold
     * ({@link ReservationRequest#withHold}) makes a hold that expires at the strategy's clock plus
     * its time to live; a hold that has expired never blocks a reservation, whether or not
     * anything has swept it.
     *
     * @throws IllegalArgumentException if the hold would expire past {@link ReservationRequest#LATEST_HOLD_EXPIRY}
     */
    ReservationResult reserve(ReservationRequest request);

    /**
     * Returns the units of a reservation to its resource; for a live hold, voids it.
     *
     * @return {@code true} if the units were returned by this call; {@code false} if the
     *     reservation was already released, its hold had expired (its units came back then), or
     *     it never existed
     */
    boolean release(long reservationId);

    /**
     * Makes a live hold permanent ({@link HoldStatus#CONFIRMED}). A hold at or past its expiry by
     * the strategy's clock is {@link HoldStatus#EXPIRED} (its units are free); a permanent
     * reservation is {@link HoldStatus#ALREADY_CONFIRMED}; a released one {@link HoldStatus#RELEASED}.
     *
     * @throws CapacityException if every attempt lost a race (the retry budget is spent): nothing
     *     changed, and calling again is safe
     */
    HoldStatus confirm(long reservationId);

    /**
     * Makes a live hold expire at the strategy's clock plus {@code ttl} ({@link HoldStatus#EXTENDED}),
     * sooner or later than before. Otherwise answers as {@link #confirm} does, changing nothing.
     *
     * @throws NullPointerException if {@code ttl} is null
     * @throws IllegalArgumentException if {@code ttl} is not positive, or the hold would expire
     *     past {@link ReservationRequest#LATEST_HOLD_EXPIRY}
     */
    HoldStatus extend(long reservationId, Duration ttl);

    /**
     * Reserves every line of an order, or none, in one step: no other caller ever sees a part of
     * it, and the lines of one resource count together (two lines of 2 need 4 free units).
     * Concurrent orders over the same resources, in any line order, never deadlock each other
     * into a failure: every strategy takes its resources in one canonical order. Each line may be
     * a hold and may carry an idempotency key.
     *
     * <p>A refusal names a line that cannot be met ({@link OrderResult#failedLine()}) with the status
     * that line would get alone: {@code INSUFFICIENT_CAPACITY}, {@code HOLDER_LIMIT_REACHED},
     * {@code UNKNOWN_RESOURCE}. An order in which some line's key is already taken is a repeat: it
     * is {@code REPLAYED} with the reservations made the first time if every line is keyed and each
     * key's reservation matches its line, and otherwise {@code IDEMPOTENCY_KEY_CONFLICT} naming the
     * first line that does not match (an unkeyed line matches nothing): key every line to make an
     * order safe to send again. Nothing is written unless the order is {@code RESERVED}.
     *
     * @throws NullPointerException if {@code lines} or a line is null
     * @throws IllegalArgumentException if there are no lines, more than {@link OrderResult#MAX_LINES},
     *     two lines with one idempotency key, or a hold whose expiry would be out of range
     * @throws IllegalStateException if a line's resource belongs to the other strategy family
     *     (unique-slots and the counter strategies: see the family rule)
     */
    OrderResult reserveAll(List<ReservationRequest> lines);

    /**
     * Limits the units one holder may have live on a resource (permanent ones and live holds):
     * a request or an order line that would take a holder past it is refused with
     * {@link ReservationResult.Status#HOLDER_LIMIT_REACHED}, however many threads and processes send
     * that holder's requests at once. {@link Long#MAX_VALUE} removes the limit (the default).
     * Lowering a limit below what a holder has keeps their units and refuses new ones, as a
     * shrink does.
     *
     * @throws IllegalArgumentException if {@code maxUnits} is not positive, or there is no such resource
     */
    void limitPerHolder(String resourceId, long maxUnits);

    /**
     * The capacity, reserved count and live holds of a resource by the strategy's clock, or
     * empty if there is no such resource.
     */
    Optional<Availability> availability(String resourceId);
}
