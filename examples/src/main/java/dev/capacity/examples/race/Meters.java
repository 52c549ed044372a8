package dev.capacity.examples.race;

import dev.capacity.metrics.MicrometerListener;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;

/**
 * What a strategy's {@link MicrometerListener} counted during one race, as an operator would see
 * it: its own retries, releases, holds by how they ended, and the combining strategy's batches.
 *
 * @param meanBatch the mean batch size (0 without batches)
 * @param maxBatch the largest batch (0 without batches)
 */
record Meters(long retries, long releases, long holdsConfirmed, long holdsReleased, long holdsExpired, long batches,
              double meanBatch, double maxBatch) {

    /** The meters of {@code registry}, which one race's strategy fed. */
    static Meters read(MeterRegistry registry) {
        DistributionSummary batches = registry.find("capacity.combining.batch.size").summary();
        return new Meters(count(registry.find("capacity.retries")), count(registry.find("capacity.release")),
                count(registry.find("capacity.holds").tag("outcome", "confirmed")),
                count(registry.find("capacity.holds").tag("outcome", "released")),
                count(registry.find("capacity.holds").tag("outcome", "expired")),
                batches == null ? 0 : batches.count(), batches == null ? 0 : batches.mean(),
                batches == null ? 0 : batches.max());
    }

    private static long count(Search search) {
        return (long) search.counters().stream().mapToDouble(Counter::count).sum();
    }
}
