package dev.capacity.jdbc.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

final class RaceTest {

    @Test
    void run_threadThatNeverReturns_failsAtTheDeadlineNamingIt() {
        CountDownLatch never = new CountDownLatch(1);
        try (Race race = new Race(3, Duration.ofSeconds(1))) {
            assertThatThrownBy(() -> race.run(i -> {
                if (i == 1) {
                    Waits.until(never);
                }
                return "done";
            })).isInstanceOf(AssertionError.class)
                    .hasMessageStartingWith("the race did not end within 1 s (a deadlock or livelock?): 1 of 3 threads"
                            + " still running; the others returned {done=2}")
                    .hasMessageContaining("thread 1:")
                    .hasMessageContaining("dev.capacity.jdbc.testing.Waits.until(");
        } finally {
            never.countDown();
        }
    }
}
