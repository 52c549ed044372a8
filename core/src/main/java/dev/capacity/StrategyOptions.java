package dev.capacity;

import dev.capacity.internal.Arguments;

import java.time.Clock;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * How a strategy retries, waits, names its tables, tells the time and reports events.
 *
 * <p>Retries use exponential backoff with full jitter: before attempt {@code n + 1} a strategy
 * sleeps a uniformly random time between zero and {@code min(maxBackoff, initialBackoff * 2^(n-1))},
 * until either {@code maxAttempts} attempts were made or the next sleep would end after
 * {@code maxRetryTime} from the first attempt; then the answer is
 * {@link ReservationResult.Status#CONTENDED}.
 *
 * <pre>{@code
 * StrategyOptions options = StrategyOptions.builder()
 *         .maxAttempts(50)
 *         .lockTimeout(Duration.ofMillis(500))
 *         .tablePrefix("shop_capacity_")
 *         .build();
 * }</pre>
 *
 * <p>This class is immutable and threadsafe; the builder is not.
 */
public final class StrategyOptions {

    public static final int DEFAULT_MAX_ATTEMPTS = 30;
    public static final Duration DEFAULT_MAX_RETRY_TIME = Duration.ofSeconds(5);
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(1);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMillis(100);
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(5);
    public static final String DEFAULT_TABLE_PREFIX = "capacity_";

    /** The longest lock timeout: PostgreSQL's {@code lock_timeout} is a 32-bit count of milliseconds. */
    public static final Duration MAX_LOCK_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

    /** The longest retry time or backoff: a {@code long} of nanoseconds, about 292 years. */
    public static final Duration MAX_DURATION = Duration.ofNanos(Long.MAX_VALUE);

    /** The longest table prefix: the longest name derived from it must fit PostgreSQL's 63-byte limit. */
    public static final int MAX_TABLE_PREFIX_LENGTH = 30;

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final StrategyOptions DEFAULTS = new Builder().build();

    private final int maxAttempts;
    private final Duration maxRetryTime;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration lockTimeout;
    private final String tablePrefix;
    private final Clock clock;
    private final ReservationListener listener;

    private StrategyOptions(Builder builder) {
        this.maxAttempts = builder.maxAttempts;
        this.maxRetryTime = builder.maxRetryTime;
        this.initialBackoff = builder.initialBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.lockTimeout = builder.lockTimeout;
        this.tablePrefix = builder.tablePrefix;
        this.clock = builder.clock;
        this.listener = builder.listener;
    }

    /** The defaults: {@value #DEFAULT_MAX_ATTEMPTS} attempts within 5 s, backoff 1 ms to 100 ms, lock wait 5 s. */
    public static StrategyOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from {@code base}. */
    public static Builder from(StrategyOptions base) {
        Arguments.requireNonNull(base, "base");
        return new Builder(base);
    }

    /** The most attempts one call makes, the first included. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The longest time one call spends retrying, measured from its first attempt. */
    public Duration maxRetryTime() {
        return maxRetryTime;
    }

    /** The upper bound of the first backoff; it doubles with every retry up to {@link #maxBackoff()}. */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** How long a strategy waits for a row lock it asked for explicitly before it gives up the attempt. */
    public Duration lockTimeout() {
        return lockTimeout;
    }

    /** The prefix of the table names, such as {@code capacity_} in {@code capacity_resource}. */
    public String tablePrefix() {
        return tablePrefix;
    }

    /** The clock that stamps reservations and releases. */
    public Clock clock() {
        return clock;
    }

    public ReservationListener listener() {
        return listener;
    }

    @Override
    public String toString() {
        return "StrategyOptions{maxAttempts=" + maxAttempts
                + ", maxRetryTime=" + maxRetryTime
                + ", backoff=" + initialBackoff + ".." + maxBackoff + " (exponential, full jitter)"
                + ", lockTimeout=" + lockTimeout
                + ", tablePrefix='" + tablePrefix + "'"
                + ", clock=" + clock
                + ", listener=" + listener + '}';
    }

    /** Builds {@link StrategyOptions}; every setter checks its argument at once. Not threadsafe. */
    public static final class Builder {
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration maxRetryTime = DEFAULT_MAX_RETRY_TIME;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
        private String tablePrefix = DEFAULT_TABLE_PREFIX;
        private Clock clock = Clock.systemUTC();
        private ReservationListener listener = ReservationListener.NONE;

        private Builder() {}

        private Builder(StrategyOptions base) {
            this.maxAttempts = base.maxAttempts;
            this.maxRetryTime = base.maxRetryTime;
            this.initialBackoff = base.initialBackoff;
            this.maxBackoff = base.maxBackoff;
            this.lockTimeout = base.lockTimeout;
            this.tablePrefix = base.tablePrefix;
            this.clock = base.clock;
            this.listener = base.listener;
        }

        /** The most attempts one call makes, at least 1 (1 means no retry). */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = Arguments.requirePositive(maxAttempts, "maxAttempts");
            return this;
        }

        /** The longest time one call spends retrying; positive, at most {@link #MAX_DURATION}. */
        public Builder maxRetryTime(Duration maxRetryTime) {
            this.maxRetryTime = requirePositive(maxRetryTime, "maxRetryTime");
            return this;
        }

        /** The backoff bounds: the first retry waits up to {@code initial}, doubling up to {@code max}. */
        public Builder backoff(Duration initial, Duration max) {
            requirePositive(initial, "initialBackoff");
            requirePositive(max, "maxBackoff");
            Arguments.requireArgument(initial.compareTo(max) <= 0,
                    "initialBackoff must not exceed maxBackoff, was %s > %s", initial, max);
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /** How long to wait for an explicit row lock; at least 1 ms, at most {@link #MAX_LOCK_TIMEOUT} (24.8 days). */
        public Builder lockTimeout(Duration lockTimeout) {
            requirePositive(lockTimeout, "lockTimeout");
            Arguments.requireArgument(lockTimeout.toMillis() >= 1,
                    "lockTimeout must be at least 1 ms, was %s", lockTimeout);
            Arguments.requireArgument(lockTimeout.compareTo(MAX_LOCK_TIMEOUT) <= 0,
                    "lockTimeout must be at most %d ms, was %s", MAX_LOCK_TIMEOUT.toMillis(), lockTimeout);
            this.lockTimeout = lockTimeout;
            return this;
        }

        /**
         * The table-name prefix: a plain SQL identifier of letters, digits and underscores, not
         * starting with a digit, at most {@value #MAX_TABLE_PREFIX_LENGTH} characters.
         */
        public Builder tablePrefix(String tablePrefix) {
            Arguments.requireNonNull(tablePrefix, "tablePrefix");
            Arguments.requireArgument(IDENTIFIER.matcher(tablePrefix).matches(),
                    "tablePrefix must be a plain SQL identifier (letters, digits, underscores; "
                            + "not starting with a digit), was '%s'", tablePrefix);
            Arguments.requireArgument(tablePrefix.length() <= MAX_TABLE_PREFIX_LENGTH,
                    "tablePrefix must be at most %d characters, was %d", MAX_TABLE_PREFIX_LENGTH,
                    tablePrefix.length());
            this.tablePrefix = tablePrefix;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Arguments.requireNonNull(clock, "clock");
            return this;
        }

        public Builder listener(ReservationListener listener) {
            this.listener = Arguments.requireNonNull(listener, "listener");
            return this;
        }

        public StrategyOptions build() {
            return new StrategyOptions(this);
        }

        /** Positive and at most {@link #MAX_DURATION}, so that it can be counted in nanoseconds. */
        private static Duration requirePositive(Duration value, String name) {
            Arguments.requireNonNull(value, name);
            Arguments.requireArgument(!value.isNegative() && !value.isZero(), "%s must be positive, was %s", name, value);
            Arguments.requireArgument(value.compareTo(MAX_DURATION) <= 0,
                    "%s must be at most %s (a long of nanoseconds), was %s", name, MAX_DURATION, value);
            return value;
        }
    }
}
