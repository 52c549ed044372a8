package dev.capacity.jdbc.testing;

import static dev.capacity.ReservationResult.Status.CONTENDED;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * Starts many threads at once: each waits on a latch until all are ready, then all are released
 * together, so the race is as tight as the machine allows. No sleeps. A race that does not end
 * by its {@link #DEADLINE} fails, naming the threads still running, where they are, and what the
 * others returned.
 */
public final class Race implements AutoCloseable {

    /**
     * The longest call of a sound strategy: its retry time ({@link StrategyOptions#maxRetryTime()},
     * 5 s by default), and a last attempt begun just before it ran out that waits out its lock
     * timeout (5 s).
     */
    public static final Duration LONGEST_CALL = StrategyOptions.DEFAULT_MAX_RETRY_TIME
            .plus(StrategyOptions.DEFAULT_LOCK_TIMEOUT);

    /**
     * How long a client retries CONTENDED answers to one request before it gives up: a CONTENDED
     * answer can take {@link #LONGEST_CALL}, and after it the client retries for one more retry
     * time. Measured on 2 cores beside other builds: LastUnitsRaceTest (4 runs) and the harness
     * with 32 threads on PostgreSQL saw no CONTENDED answer, and the slowest round took 0.24 s;
     * the multi-process race saw CONTENDED after up to 5.8 s, and every retry succeeded.
     */
    public static final Duration PATIENCE = LONGEST_CALL.plus(StrategyOptions.DEFAULT_MAX_RETRY_TIME);

    /**
     * A client also gives up after this many CONTENDED answers in a row, however fast: the count
     * only spares the machine a strategy that answers CONTENDED at once.
     */
    public static final int MAX_CONTENDED_IN_A_ROW = 10_000;

    /**
     * How long a race may run: a client's patience, the call it may be in when that runs out, and
     * 10 s for a loaded machine.
     */
    public static final Duration DEADLINE = PATIENCE.plus(LONGEST_CALL).plus(Duration.ofSeconds(10));

    /** What a patient client ended with: its last answer, how many answers it took, and how long. */
    public record Decision(ReservationRequest request, ReservationResult result, int answers, long nanos) {

        /** The client gave up: every answer was CONTENDED. */
        public boolean gaveUp() {
            return result.status() == CONTENDED;
        }
    }

    private final int threads;
    private final Duration deadline;
    private final ExecutorService pool;

    public Race(int threads) {
        this(threads, DEADLINE);
    }

    /** A race with another deadline: for the test of the deadline itself. */
    Race(int threads, Duration deadline) {
        this.threads = threads;
        this.deadline = deadline;
        this.pool = Executors.newFixedThreadPool(threads, task -> {
            Thread thread = new Thread(task);
            thread.setDaemon(true); // a stuck racer must not keep the JVM alive
            return thread;
        });
    }

    /** Runs {@code task(i)} for i in [0, threads) at once; the results in order of i. */
    public <T> List<T> run(IntFunction<T> task) {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        Thread[] running = new Thread[threads];
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int index = i;
            futures.add(pool.submit(() -> {
                running[index] = Thread.currentThread();
                ready.countDown();
                go.await();
                return task.apply(index);
            }));
        }
        try {
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the racing threads did not start");
            }
            go.countDown();
            long end = System.nanoTime() + deadline.toNanos();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            throw new AssertionError("a racing thread failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError(stuck(futures, running), e);
        }
    }

    /** Which threads are still running, where, and what the others returned. */
    private <T> String stuck(List<Future<T>> futures, Thread[] running) {
        Map<String, Integer> returned = new TreeMap<>();
        List<Integer> stuck = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            if (!futures.get(i).isDone()) {
                stuck.add(i);
                continue;
            }
            String result;
            try {
                result = describe(futures.get(i).get());
            } catch (ExecutionException e) {
                result = "failed";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result = "?";
            }
            returned.merge(result, 1, Integer::sum);
        }
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "the race did not end within %d s (a deadlock"
                + " or livelock?): %d of %d threads still running; the others returned %s", deadline.toSeconds(),
                stuck.size(), futures.size(), returned));
        for (int i : stuck) {
            out.append("\n  thread ").append(i).append(":");
            Arrays.stream(running[i].getStackTrace()).limit(10).forEach(frame -> out.append("\n    at ").append(frame));
        }
        return out.toString();
    }

    private static String describe(Object result) {
        if (result instanceof Decision decision) {
            return decision.gaveUp() ? "gave up" : decision.result().status().name();
        }
        return result instanceof ReservationResult r ? r.status().name() : String.valueOf(result);
    }

    /**
     * Reserves as a patient client does: a CONTENDED answer is retried, anything else is final.
     * It gives up, with the last CONTENDED answer, after {@link #PATIENCE} or
     * {@link #MAX_CONTENDED_IN_A_ROW} answers.
     */
    public static Decision decide(ReservationStrategy strategy, ReservationRequest request) {
        return decide(strategy, request, PATIENCE);
    }

    /** {@link #decide(ReservationStrategy, ReservationRequest)} with a patience of {@code patience}. */
    public static Decision decide(ReservationStrategy strategy, ReservationRequest request, Duration patience) {
        long started = System.nanoTime();
        for (int answers = 1; ; answers++) {
            ReservationResult result = strategy.reserve(request);
            long elapsed = System.nanoTime() - started;
            if (result.status() != CONTENDED || elapsed >= patience.toNanos() || answers >= MAX_CONTENDED_IN_A_ROW) {
                return new Decision(request, result, answers, elapsed);
            }
        }
    }

    /** {@link #decide}'s last answer. */
    public static ReservationResult reserveUntilDecided(ReservationStrategy strategy, ReservationRequest request) {
        return decide(strategy, request).result();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
