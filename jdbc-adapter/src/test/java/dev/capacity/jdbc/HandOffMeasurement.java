package dev.capacity.jdbc;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * What the combiner's hand-off alone costs, without a database: callers submit in a closed loop
 * to a {@link RequestCombiner} whose batch "runs" by parking for a fixed time (as a batch waits
 * for its COMMIT's flush, using no CPU) and then answers every request. Against the ideal, where
 * every batch takes every caller and the next begins the moment one ends, the shortfall is what
 * waking the answered callers and their coming back costs. Not a test: a measurement for
 * docs/benchmarks.md, run with
 * <pre>
 * mvn -q -pl jdbc-adapter -am test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.capacity.jdbc.HandOffMeasurement -Dexec.args="64 0,730 8"
 * </pre>
 * (callers, batch times in microseconds, seconds measured for each after 2 s of warm-up).
 */
public final class HandOffMeasurement {

    private HandOffMeasurement() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            throw new IllegalArgumentException("arguments: callers, batch times in microseconds (comma-separated), seconds");
        }
        int callers = Integer.parseInt(args[0]);
        int seconds = Integer.parseInt(args[2]);
        System.out.println("| callers | batch time (µs) | grants/s | mean batch | ideal grants/s | ratio | hand-off per batch (µs) |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
        for (String batch : args[1].split(",")) {
            measure(callers, Long.parseLong(batch.trim()), seconds);
        }
    }

    private static void measure(int callers, long batchMicros, int seconds) throws InterruptedException {
        LongAdder batches = new LongAdder();
        LongAdder granted = new LongAdder();
        RequestCombiner<Integer, Integer> combiner = new RequestCombiner<>(64, 10_000, batch -> {
            long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(batchMicros);
            for (long left = batchMicros; left > 0; left = until - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            batches.increment();
            batch.forEach(p -> p.answer(p.request()));
        });
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean measuring = new AtomicBoolean();
        Thread[] threads = new Thread[callers];
        for (int i = 0; i < callers; i++) {
            int id = i;
            threads[i] = new Thread(() -> {
                while (running.get()) {
                    combiner.submit(id, System.nanoTime() + TimeUnit.SECONDS.toNanos(10), -1);
                    if (measuring.get()) {
                        granted.increment();
                    }
                }
            });
            threads[i].start();
        }
        TimeUnit.SECONDS.sleep(2);  // warm-up: a measurement's own clock, not a wait for another thread
        long batchesBefore = batches.sum();
        measuring.set(true);
        long start = System.nanoTime();
        TimeUnit.SECONDS.sleep(seconds);
        measuring.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long grants = granted.sum();
        long ran = batches.sum() - batchesBefore;
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        double rate = grants / elapsed;
        double cycleMicros = elapsed * 1e6 / ran;
        String ideal = batchMicros == 0 ? "–" : String.format(Locale.ROOT, "%,.0f", Math.min(callers, 64) * 1e6 / batchMicros);
        String ratio = batchMicros == 0 ? "–" : String.format(Locale.ROOT, "%.2f×", rate / (Math.min(callers, 64) * 1e6 / batchMicros));
        System.out.printf(Locale.ROOT, "| %d | %d | %,.0f | %.1f | %s | %s | %.0f |%n", callers, batchMicros, rate,
                (double) grants / ran, ideal, ratio, cycleMicros - batchMicros);
    }
}
