package dev.capacity.stress.internal;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.ForwardingStrategy;
import dev.capacity.stress.jcstress.PerThreadClock;

import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * THE NEGATIVE CONTROL for the checkout race: holds broken on purpose (test sources only, never
 * the library), on top of a sound strategy. The strategy under it reads the race's clock, which
 * this class turns back for one call of one thread ({@link PerThreadClock}), the way a bug that
 * judges expiry by the wrong instant would. Each {@link Bug} is one such mistake; the race
 * harness must catch each.
 *
 * <p>Threadsafe if the strategy under it is.
 */
final class BrokenHoldStrategy extends ForwardingStrategy {

    /** What is broken. */
    enum Bug {
        /**
         * A confirm judges the hold by the instant it was made, not by the clock: a confirm after
         * the expiry succeeds whenever nothing has ended the hold yet.
         */
        CONFIRM_IGNORES_EXPIRY,
        /**
         * A reserve refuses when the units of the holds nobody has ended fill the resource,
         * expired or not: it never reclaims expired holds, so they cause refusals.
         */
        NO_RECLAIM
    }

    /** An instant before every hold's expiry: by it, every hold nobody ended counts. */
    private static final Instant LONG_AGO = Instant.EPOCH;

    private final Bug bug;
    private final Map<Long, Instant> madeAt = new ConcurrentHashMap<>();

    /**
     * @param clock the race's clock
     * @param strategyOn makes the sound strategy from its options, whose clock it must read
     */
    BrokenHoldStrategy(Bug bug, Clock clock, Function<StrategyOptions, ReservationStrategy> strategyOn) {
        super(strategyOn.apply(StrategyOptions.builder().clock(new PerThreadClock(clock)).build()));
        this.bug = bug;
    }

    @Override
    public String name() {
        return bug.name().toLowerCase(Locale.ROOT).replace('_', '-') + " (negative control)";
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        if (bug == Bug.NO_RECLAIM) {
            Optional<Availability> counted = PerThreadClock.reading(LONG_AGO, () -> availability(request.resourceId()));
            if (counted.isPresent() && counted.get().available() < request.quantity()) {
                return new ReservationResult(ReservationResult.Status.INSUFFICIENT_CAPACITY, null,
                        counted.get().available(), 1);
            }
        }
        ReservationResult result = super.reserve(request);
        result.reservationIfAny().ifPresent(r -> madeAt.put(r.id(), r.createdAt()));
        return result;
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        Instant made = madeAt.get(reservationId);
        if (bug == Bug.CONFIRM_IGNORES_EXPIRY && made != null) {
            return PerThreadClock.reading(made, () -> super.confirm(reservationId));
        }
        return super.confirm(reservationId);
    }
}
