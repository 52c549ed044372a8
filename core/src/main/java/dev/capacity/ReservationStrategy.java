package dev.capacity;

import java.time.Duration;
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
