package dev.capacity.jdbc.testing;

import static dev.capacity.ReservationResult.Status.CONTENDED;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import java.util.ArrayList;
import java.util.List;
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
 * together, so the race is as tight as the machine allows. No sleeps.
 */
public final class Race implements AutoCloseable {

    /** A client gives up on a request after this many CONTENDED answers in a row: a livelock. */
    public static final int MAX_CONTENDED_IN_A_ROW = 10_000;

    private final int threads;
    private final ExecutorService pool;

    public Race(int threads) {
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads);
    }

    /** Runs {@code task(i)} for i in [0, threads) at once; the results in order of i. */
    public <T> List<T> run(IntFunction<T> task) {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int index = i;
            futures.add(pool.submit(() -> {
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
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(120, TimeUnit.SECONDS));
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            throw new AssertionError("a racing thread failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("a racing thread did not finish within 120 s (a deadlock or livelock?)", e);
        }
    }

    /** Reserves as a patient client does: a CONTENDED answer is retried, anything else is final. */
    public static ReservationResult reserveUntilDecided(ReservationStrategy strategy, ReservationRequest request) {
        for (int i = 0; i < MAX_CONTENDED_IN_A_ROW; i++) {
            ReservationResult result = strategy.reserve(request);
            if (result.status() != CONTENDED) {
                return result;
            }
        }
        throw new AssertionError(request + " was CONTENDED " + MAX_CONTENDED_IN_A_ROW + " times in a row");
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
