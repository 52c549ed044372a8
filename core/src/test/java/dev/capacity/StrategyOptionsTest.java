package dev.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

final class StrategyOptionsTest {

    @Test
    void defaults_areTheDocumentedConstants() {
        StrategyOptions options = StrategyOptions.defaults();

        assertThat(options.maxAttempts()).isEqualTo(StrategyOptions.DEFAULT_MAX_ATTEMPTS);
        assertThat(options.maxRetryTime()).isEqualTo(StrategyOptions.DEFAULT_MAX_RETRY_TIME);
        assertThat(options.initialBackoff()).isEqualTo(StrategyOptions.DEFAULT_INITIAL_BACKOFF);
        assertThat(options.maxBackoff()).isEqualTo(StrategyOptions.DEFAULT_MAX_BACKOFF);
        assertThat(options.lockTimeout()).isEqualTo(StrategyOptions.DEFAULT_LOCK_TIMEOUT);
        assertThat(options.tablePrefix()).isEqualTo("capacity_");
        assertThat(options.listener()).isSameAs(ReservationListener.NONE);
    }

    @Test
    void toString_showsEveryValue() {
        assertThat(StrategyOptions.defaults().toString()).contains("maxAttempts=30", "maxRetryTime=PT5S",
                "backoff=PT0.001S..PT0.1S", "full jitter", "lockTimeout=PT5S", "tablePrefix='capacity_'", "clock=",
                "listener=ReservationListener.NONE");
    }

    @Test
    void from_copiesABaseAndChangesOnlyWhatIsSet() {
        Clock fixed = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        StrategyOptions base = StrategyOptions.builder().maxAttempts(7).clock(fixed).build();

        StrategyOptions derived = StrategyOptions.from(base).lockTimeout(Duration.ofMillis(250)).build();

        assertThat(derived.maxAttempts()).isEqualTo(7);
        assertThat(derived.clock()).isSameAs(fixed);
        assertThat(derived.lockTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(base.lockTimeout()).isEqualTo(StrategyOptions.DEFAULT_LOCK_TIMEOUT);
    }

    @Test
    void builder_badValues_areRejectedNamingTheArgument() {
        StrategyOptions.Builder builder = StrategyOptions.builder();

        assertThatThrownBy(() -> builder.maxAttempts(0)).hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> builder.maxRetryTime(Duration.ZERO)).hasMessageContaining("maxRetryTime");
        assertThatThrownBy(() -> builder.maxRetryTime(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("maxRetryTime");
        assertThatThrownBy(() -> builder.backoff(Duration.ofMillis(-1), Duration.ofMillis(5)))
                .hasMessageContaining("initialBackoff");
        assertThatThrownBy(() -> builder.backoff(Duration.ofMillis(10), Duration.ofMillis(5)))
                .hasMessageContaining("initialBackoff must not exceed maxBackoff");
        assertThatThrownBy(() -> builder.lockTimeout(Duration.ofNanos(10))).hasMessageContaining("lockTimeout");
        assertThatThrownBy(() -> builder.clock(null)).hasMessageContaining("clock");
        assertThatThrownBy(() -> builder.listener(null)).hasMessageContaining("listener");
        assertThatThrownBy(() -> StrategyOptions.from(null)).hasMessageContaining("base");
    }

    @Test
    void builder_durationsBeyondWhatTheStrategiesCanCount_areRejectedNamingTheArgument() {
        StrategyOptions.Builder builder = StrategyOptions.builder();
        Duration tooLong = StrategyOptions.MAX_DURATION.plusNanos(1);

        assertThatThrownBy(() -> builder.maxRetryTime(tooLong)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxRetryTime must be at most");
        assertThatThrownBy(() -> builder.backoff(Duration.ofMillis(1), tooLong))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("maxBackoff must be at most");
        assertThatThrownBy(() -> builder.lockTimeout(StrategyOptions.MAX_LOCK_TIMEOUT.plusMillis(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lockTimeout must be at most 2147483647 ms, was PT596H31M23.648S");
        assertThat(builder.maxRetryTime(StrategyOptions.MAX_DURATION)
                .lockTimeout(StrategyOptions.MAX_LOCK_TIMEOUT).build().lockTimeout())
                .isEqualTo(StrategyOptions.MAX_LOCK_TIMEOUT);
    }

    @Test
    void tablePrefix_mustBeAPlainIdentifier() {
        StrategyOptions.Builder builder = StrategyOptions.builder();

        for (String bad : new String[] {"", "1abc", "capacity; DROP TABLE users; --", "a-b", "a b", "\"q\"",
                "x".repeat(31)}) {
            assertThatThrownBy(() -> builder.tablePrefix(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tablePrefix");
        }
        assertThatThrownBy(() -> builder.tablePrefix(null)).isInstanceOf(NullPointerException.class);
        assertThat(builder.tablePrefix("Shop_2_").build().tablePrefix()).isEqualTo("Shop_2_");
    }
}
