package dev.capacity.examples;

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

/** A crowd pressing a button at the same moment: one thread each, all released by one latch. */
final class Crowd {

    private Crowd() {}

    /** Runs {@code task(i)} for every i below {@code people}, all at once; the results in order of i. */
    static <T> List<T> atOnce(int people, IntFunction<T> task) {
        ExecutorService pool = Executors.newFixedThreadPool(people);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < people; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    go.await();
                    return task.apply(index);
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            IllegalStateException failed = null;
            for (int i = 0; i < futures.size(); i++) {
                try {
                    results.add(futures.get(i).get(120, TimeUnit.SECONDS));
                } catch (ExecutionException | TimeoutException e) {
                    // every failure, not just the first: the first is often only a consequence
                    if (failed == null) {
                        failed = new IllegalStateException("someone in the crowd failed: " + e, e);
                    } else {
                        failed.addSuppressed(new IllegalStateException("person " + i + " failed too", e));
                    }
                }
            }
            if (failed != null) {
                throw failed;
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the crowd ran", e);
        } finally {
            pool.shutdownNow();
        }
    }
}
