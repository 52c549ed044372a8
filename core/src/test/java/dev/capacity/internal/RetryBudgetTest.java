package dev.capacity.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.StrategyOptions;

import org.junit.jupiter.api.Test;

import java.time.Duration;

final class RetryBudgetTest {

    @Test
    void nextBackoff_afterMaxAttempts_isSpent() {
        RetryBudget budget = RetryBudget.start(StrategyOptions.builder().maxAttempts(3).build());

        for (int attempt = 1; attempt <= 2; attempt++) {
            assertThat(budget.beginAttempt()).isEqualTo(attempt);
            assertThat(budget.nextBackoffNanos()).isNotEqualTo(RetryBudget.SPENT);
        }
        budget.beginAttempt();

        assertThat(budget.nextBackoffNanos()).isEqualTo(RetryBudget.SPENT);
        assertThat(budget.attempts()).isEqualTo(3);
    }

    @Test
    void nextBackoff_staysWithinTheDoublingCeiling() {
        StrategyOptions options = StrategyOptions.builder().maxAttempts(1000).maxRetryTime(Duration.ofHours(1))
                .backoff(Duration.ofMillis(1), Duration.ofMillis(16)).build();
        RetryBudget budget = RetryBudget.start(options);

        for (int attempt = 1; attempt <= 200; attempt++) {
            budget.beginAttempt();
            long ceiling = Duration.ofMillis(Math.min(16, 1L << Math.min(attempt - 1, 10))).toNanos();
            assertThat(budget.nextBackoffNanos()).as("attempt %d", attempt).isBetween(0L, ceiling);
        }
    }

    @Test
    void nextBackoff_fullJitter_spreadsOverTheWholeRange() {
        StrategyOptions options = StrategyOptions.builder().maxAttempts(100_000).maxRetryTime(Duration.ofHours(1))
                .backoff(Duration.ofMillis(8), Duration.ofMillis(8)).build();
        RetryBudget budget = RetryBudget.start(options);
        long ceiling = Duration.ofMillis(8).toNanos();
        int low = 0;
        int high = 0;

        for (int i = 0; i < 10_000; i++) {
            budget.beginAttempt();
            long backoff = budget.nextBackoffNanos();
            low += backoff < ceiling / 4 ? 1 : 0;
            high += backoff > ceiling * 3 / 4 ? 1 : 0;
        }

        // uniform on [0, ceiling]: about 2,500 in each quarter; 1,500 is over 20 standard deviations away
        assertThat(low).isGreaterThan(1_500);
        assertThat(high).isGreaterThan(1_500);
    }

    @Test
    void nextBackoff_pastTheTimeBudget_isSpent() {
        StrategyOptions options = StrategyOptions.builder().maxAttempts(100).maxRetryTime(Duration.ofNanos(1))
                .backoff(Duration.ofMillis(5), Duration.ofMillis(5)).build();
        RetryBudget budget = RetryBudget.start(options);
        budget.beginAttempt();

        // any backoff but zero ends after 1 ns; a zero draw (p = 1/5,000,001) is the only way through
        long backoff = budget.nextBackoffNanos();
        assertThat(backoff == RetryBudget.SPENT || backoff == 0).isTrue();
    }
}
