package dev.capacity.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.HoldStatus;
import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationRequest;
import dev.capacity.StrategyOptions;
import dev.capacity.testing.MutableClock;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/** The meters of {@link MicrometerListener}: names, tags and counts, from a strategy's real events. */
final class MicrometerListenerTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final MutableClock clock = MutableClock.start();

    private InMemoryStrategy strategy(MicrometerListener listener) {
        return new InMemoryStrategy(StrategyOptions.builder().listener(listener).clock(clock).build());
    }

    @Test
    void reserveCalls_areTimedByStrategyAndOutcome_withNoResourceTag() {
        InMemoryStrategy strategy = strategy(new MicrometerListener(registry));
        strategy.define("run", 1);
        strategy.reserve(ReservationRequest.of("run", "a"));
        strategy.reserve(ReservationRequest.of("run", "b"));
        strategy.reserve(ReservationRequest.of("run", "c"));
        strategy.reserve(ReservationRequest.of("missing", "d"));

        assertThat(registry.get("capacity.reserve").tags("strategy", "in-memory", "outcome", "reserved").timer().count())
                .isEqualTo(1);
        assertThat(registry.get("capacity.reserve").tags("strategy", "in-memory", "outcome", "insufficient_capacity")
                .timer().count()).isEqualTo(2);
        assertThat(registry.get("capacity.reserve").tags("outcome", "unknown_resource").timer().count()).isEqualTo(1);
        assertThat(registry.find("capacity.reserve").meters()).allSatisfy(meter ->
                assertThat(meter.getId().getTag("resource")).isNull());
    }

    @Test
    void namedResources_getATimerEach_andTheRestShareOne() {
        InMemoryStrategy strategy = strategy(new MicrometerListener(registry, Set.of("concert")));
        strategy.define("concert", 10);
        strategy.define("lecture", 10);
        strategy.define("workshop", 10);
        strategy.reserve(ReservationRequest.of("concert", "a"));
        strategy.reserve(ReservationRequest.of("lecture", "b"));
        strategy.reserve(ReservationRequest.of("workshop", "c"));

        assertThat(registry.get("capacity.reserve").tags("resource", "concert").timer().count()).isEqualTo(1);
        assertThat(registry.get("capacity.reserve").tags("resource", MicrometerListener.OTHER_RESOURCE).timer().count())
                .isEqualTo(2);
        assertThat(registry.find("capacity.reserve").meters().stream().map(m -> m.getId().getTag("resource"))
                .collect(Collectors.toSet())).containsExactlyInAnyOrder("concert", "other");
    }

    @Test
    void holdsAndReleases_areCountedByHowTheyEnded() {
        InMemoryStrategy strategy = strategy(new MicrometerListener(registry));
        strategy.define("run", 10);
        long confirmed = strategy.reserve(ReservationRequest.of("run", "a").withHold(Duration.ofMinutes(5))).reservation().id();
        long released = strategy.reserve(ReservationRequest.of("run", "b").withHold(Duration.ofMinutes(5))).reservation().id();
        long lapsed = strategy.reserve(ReservationRequest.of("run", "c").withHold(Duration.ofMinutes(5))).reservation().id();
        long permanent = strategy.reserve(ReservationRequest.of("run", "d")).reservation().id();
        strategy.confirm(confirmed);
        strategy.release(released);
        strategy.release(permanent);
        clock.advance(Duration.ofMinutes(6));
        strategy.confirm(lapsed);

        assertThat(registry.get("capacity.holds").tags("strategy", "in-memory", "outcome", "confirmed").counter().count())
                .isEqualTo(1);
        assertThat(registry.get("capacity.holds").tags("outcome", "released").counter().count()).isEqualTo(1);
        assertThat(registry.get("capacity.holds").tags("outcome", "expired").counter().count()).isEqualTo(1);
        assertThat(registry.get("capacity.release").tags("strategy", "in-memory").counter().count()).isEqualTo(2);
    }

    @Test
    void retriesAndBatches_fromTheirEvents() {
        MicrometerListener listener = new MicrometerListener(registry);
        ReservationRequest request = ReservationRequest.of("run", "a");
        listener.onRetried("optimistic-version", request, 1, Duration.ofMillis(1), "version changed");
        listener.onRetried("optimistic-version", request, 2, Duration.ofMillis(2), "version changed");
        listener.onBatch("combining", 64, 3);
        listener.onBatch("combining", 32, 0);

        assertThat(registry.get("capacity.retries").tags("strategy", "optimistic-version").counter().count()).isEqualTo(2);
        assertThat(registry.get("capacity.combining.batch.size").tags("strategy", "combining").summary().count())
                .isEqualTo(2);
        assertThat(registry.get("capacity.combining.batch.size").summary().totalAmount()).isEqualTo(96);
        assertThat(registry.get("capacity.combining.batch.size").summary().max()).isEqualTo(64);
        assertThat(registry.get("capacity.combining.waiting").tags("strategy", "combining").gauge().value()).isZero();
    }

    @Test
    void everyMeter_isTaggedWithItsStrategy() {
        InMemoryStrategy strategy = strategy(new MicrometerListener(registry));
        strategy.define("run", 1);
        long id = strategy.reserve(ReservationRequest.of("run", "a").withHold(Duration.ofMinutes(1))).reservation().id();
        strategy.release(id);

        assertThat(registry.getMeters()).extracting(Meter::getId).allSatisfy(meterId ->
                assertThat(meterId.getTag("strategy")).isEqualTo("in-memory"));
        assertThat(registry.getMeters()).extracting(meter -> meter.getId().getName())
                .containsExactlyInAnyOrder("capacity.reserve", "capacity.holds", "capacity.release");
    }

    @Test
    void badArguments_areRefusedByName() {
        assertThatThrownBy(() -> new MicrometerListener(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("registry");
        assertThatThrownBy(() -> new MicrometerListener(registry, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("taggedResources");
        assertThatThrownBy(() -> new MicrometerListener(registry, Set.of(MicrometerListener.OTHER_RESOURCE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("taggedResources");
        assertThatThrownBy(() -> new MicrometerListener(registry, Set.of(" ")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("taggedResources");
    }

    @Test
    void aHoldEndsOnce_inTheCount() {
        InMemoryStrategy strategy = strategy(new MicrometerListener(registry));
        strategy.define("run", 1);
        long id = strategy.reserve(ReservationRequest.of("run", "a").withHold(Duration.ofMinutes(1))).reservation().id();
        assertThat(strategy.confirm(id)).isEqualTo(HoldStatus.CONFIRMED);
        assertThat(strategy.confirm(id)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        strategy.release(id);

        assertThat(registry.get("capacity.holds").counter().count()).isEqualTo(1);
        assertThat(registry.get("capacity.release").counter().count()).isEqualTo(1);
    }
}
