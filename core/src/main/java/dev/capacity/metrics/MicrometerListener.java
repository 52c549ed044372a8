package dev.capacity.metrics;

import dev.capacity.HoldStatus;
import dev.capacity.ReservationListener;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.internal.Arguments;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A strategy's events as Micrometer meters. Set it as the strategy's listener:
 *
 * <pre>{@code
 * StrategyOptions options = StrategyOptions.builder().listener(new MicrometerListener(registry)).build();
 * }</pre>
 *
 * <p>Every meter is tagged {@code strategy} (the strategy's name: {@code conditional-update},
 * {@code combining}, ...):
 * <ul>
 *   <li>{@code capacity.reserve}, a timer of reserve calls (each from the call to its answer),
 *       tagged {@code outcome}: the status in lower case ({@code reserved}, {@code replayed},
 *       {@code insufficient_capacity}, {@code unknown_resource}, {@code idempotency_key_conflict},
 *       {@code contended}, {@code holder_limit_reached});</li>
 *   <li>{@code capacity.retries}, a counter of attempts that lost a race and were tried again;</li>
 *   <li>{@code capacity.release}, a counter of reservations released;</li>
 *   <li>{@code capacity.holds}, a counter of holds ended, tagged {@code outcome}: {@code confirmed},
 *       {@code expired} or {@code released};</li>
 *   <li>{@code capacity.combining.batch.size}, a distribution of the combining strategy's batch
 *       sizes, and {@code capacity.combining.waiting}, a gauge of the requests queued behind the
 *       last batch.</li>
 * </ul>
 *
 * <p>No meter is tagged with a resource id by default: an application with a million resources
 * would make a million timers. {@link #MicrometerListener(MeterRegistry, Set)} names the resources
 * whose reserve calls get a timer of their own: {@code capacity.reserve} then carries a
 * {@code resource} tag, the resource's id for those and {@code other} for the rest (a meter's
 * tag keys must not vary).
 *
 * <p>Events are told after the transaction that caused them committed (see
 * {@link ReservationListener}), so the meters count what happened, not what was tried and rolled
 * back. Meters are made on first use and kept; an event costs a map lookup and the meter's update.
 *
 * <p>This class is threadsafe.
 */
public final class MicrometerListener implements ReservationListener {

    /** The {@code resource} tag of the reserve calls of resources not named. */
    public static final String OTHER_RESOURCE = "other";

    private final MeterRegistry registry;
    /** The resources tagged by id; null when no resource is tagged. */
    private final Set<String> taggedResources;

    /** The reserve timers of a strategy, by status, when no resource is tagged: a lookup without a key object. */
    private final Map<String, AtomicReferenceArray<Timer>> reserveTimersByStatus = new ConcurrentHashMap<>();
    private final Map<ReserveKey, Timer> reserveTimers = new ConcurrentHashMap<>();
    private final Map<String, Counter> retries = new ConcurrentHashMap<>();
    private final Map<String, Counter> releases = new ConcurrentHashMap<>();
    private final Map<HoldKey, Counter> holds = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> batchSizes = new ConcurrentHashMap<>();
    /** The gauges' values: Micrometer holds a gauge's object weakly, so this listener keeps them. */
    private final Map<String, AtomicInteger> waiting = new ConcurrentHashMap<>();

    /** Meters in {@code registry}, no resource tagged. */
    public MicrometerListener(MeterRegistry registry) {
        this.registry = Arguments.requireNonNull(registry, "registry");
        this.taggedResources = null;
    }

    /**
     * Meters in {@code registry}, the reserve calls of {@code taggedResources} timed each on its
     * own (a {@code resource} tag), the others together ({@code resource=other}).
     */
    public MicrometerListener(MeterRegistry registry, Set<String> taggedResources) {
        this.registry = Arguments.requireNonNull(registry, "registry");
        Arguments.requireNonNull(taggedResources, "taggedResources");
        for (String id : taggedResources) {
            Arguments.requireId(id, "taggedResources");
            Arguments.requireArgument(!OTHER_RESOURCE.equals(id),
                    "taggedResources: '" + OTHER_RESOURCE + "' is the tag of the resources not named; rename that resource's tag");
        }
        this.taggedResources = Set.copyOf(taggedResources);
    }

    private record ReserveKey(String strategy, ReservationResult.Status status, String resource) {}

    private record HoldKey(String strategy, HoldStatus how) {}

    @Override
    public void onReserveTimed(String strategy, ReservationRequest request, ReservationResult result, Duration took) {
        ReservationResult.Status status = result.status();
        if (taggedResources == null) {
            AtomicReferenceArray<Timer> byStatus = reserveTimersByStatus.computeIfAbsent(strategy,
                    s -> new AtomicReferenceArray<>(STATUSES.length));
            Timer timer = byStatus.get(status.ordinal());
            if (timer == null) {
                // racing threads may both look it up: the registry hands both the same timer
                timer = reserveTimer(new ReserveKey(strategy, status, null));
                byStatus.set(status.ordinal(), timer);
            }
            timer.record(took);
            return;
        }
        String resource = taggedResources.contains(request.resourceId()) ? request.resourceId() : OTHER_RESOURCE;
        reserveTimers.computeIfAbsent(new ReserveKey(strategy, status, resource), this::reserveTimer).record(took);
    }

    private static final ReservationResult.Status[] STATUSES = ReservationResult.Status.values();

    private Timer reserveTimer(ReserveKey key) {
        Timer.Builder timer = Timer.builder("capacity.reserve")
                .description("reserve calls, from the call to its answer")
                .tag("strategy", key.strategy())
                .tag("outcome", key.status().name().toLowerCase(Locale.ROOT));
        if (key.resource() != null) {
            timer.tag("resource", key.resource());
        }
        return timer.register(registry);
    }

    @Override
    public void onRetried(String strategy, ReservationRequest request, int attempt, Duration backoff, String reason) {
        retries.computeIfAbsent(strategy, s -> Counter.builder("capacity.retries")
                .description("attempts that lost a race and were tried again")
                .tag("strategy", s).register(registry)).increment();
    }

    @Override
    public void onReleased(String strategy, long reservationId) {
        releases.computeIfAbsent(strategy, s -> Counter.builder("capacity.release")
                .description("reservations released")
                .tag("strategy", s).register(registry)).increment();
    }

    @Override
    public void onHoldEnded(String strategy, long reservationId, HoldStatus how) {
        holds.computeIfAbsent(new HoldKey(strategy, how), key -> Counter.builder("capacity.holds")
                .description("holds ended: confirmed, released while live, or expired")
                .tag("strategy", key.strategy())
                .tag("outcome", key.how().name().toLowerCase(Locale.ROOT)).register(registry)).increment();
    }

    @Override
    public void onBatch(String strategy, int size, int queued) {
        batchSizes.computeIfAbsent(strategy, s -> DistributionSummary.builder("capacity.combining.batch.size")
                .description("requests per batch of the combining strategy")
                .baseUnit("requests")
                .tag("strategy", s).register(registry)).record(size);
        waiting.computeIfAbsent(strategy, s -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder("capacity.combining.waiting", value, AtomicInteger::get)
                    .description("requests queued behind the last batch of the combining strategy")
                    .baseUnit("requests")
                    .tag("strategy", s).register(registry);
            return value;
        }).set(queued);
    }

    @Override
    public String toString() {
        return "MicrometerListener{" + registry.getClass().getSimpleName()
                + (taggedResources == null ? "" : ", tagged resources " + taggedResources) + '}';
    }
}
