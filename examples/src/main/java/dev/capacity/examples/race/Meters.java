package dev.capacity.examples.race;

import dev.capacity.HoldStatus;
import dev.capacity.ReservationListener;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.metrics.MicrometerListener;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;

/**
 * A strategy's meters during one race, as an operator would see them: a {@link MicrometerListener}
 * on a registry of its own, begun anew once the warm-up is over so that only the measured race
 * counts.
 *
 * <p>This class is threadsafe.
 */
final class Meters implements ReservationListener {

    /** What the meters read after a race. */
    record View(long retries, long releases, long holdsConfirmed, long holdsReleased, long holdsExpired, long batches,
                double meanBatch, double maxBatch) {}

    private volatile MeterRegistry registry = new SimpleMeterRegistry();
    private volatile MicrometerListener listener = new MicrometerListener(registry);

    /** Forgets what was counted so far. */
    void begin() {
        MeterRegistry fresh = new SimpleMeterRegistry();
        listener = new MicrometerListener(fresh);
        registry = fresh;
    }

    View view() {
        MeterRegistry r = registry;
        DistributionSummary batches = r.find("capacity.combining.batch.size").summary();
        return new View(count(r.find("capacity.retries")), count(r.find("capacity.release")),
                count(r.find("capacity.holds").tag("outcome", "confirmed")),
                count(r.find("capacity.holds").tag("outcome", "released")),
                count(r.find("capacity.holds").tag("outcome", "expired")),
                batches == null ? 0 : batches.count(), batches == null ? 0 : batches.mean(),
                batches == null ? 0 : batches.max());
    }

    private static long count(Search search) {
        return (long) search.counters().stream().mapToDouble(Counter::count).sum();
    }

    @Override
    public void onReserved(String strategy, ReservationRequest request, ReservationResult result) {
        listener.onReserved(strategy, request, result);
    }

    @Override
    public void onRejected(String strategy, ReservationRequest request, ReservationResult result) {
        listener.onRejected(strategy, request, result);
    }

    @Override
    public void onReserveTimed(String strategy, ReservationRequest request, ReservationResult result, Duration took) {
        listener.onReserveTimed(strategy, request, result, took);
    }

    @Override
    public void onRetried(String strategy, ReservationRequest request, int attempt, Duration backoff, String reason) {
        listener.onRetried(strategy, request, attempt, backoff, reason);
    }

    @Override
    public void onReleased(String strategy, long reservationId) {
        listener.onReleased(strategy, reservationId);
    }

    @Override
    public void onHoldEnded(String strategy, long reservationId, HoldStatus how) {
        listener.onHoldEnded(strategy, reservationId, how);
    }

    @Override
    public void onBatch(String strategy, int size, int waiting) {
        listener.onBatch(strategy, size, waiting);
    }
}
