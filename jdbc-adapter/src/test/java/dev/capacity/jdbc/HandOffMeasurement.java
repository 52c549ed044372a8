package dev.capacity.jdbc;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p>It first measures the floor under any hand-off to blocked threads: the same callers parked,
 * woken all at once by one thread, and parked again as soon as they run, with no queue and no
 * requests; what one such wake-up costs on the machine.
 */
public final class HandOffMeasurement {

    private HandOffMeasurement() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            throw new IllegalArgumentException("arguments: callers, batch times in microseconds (comma-separated), seconds");
        }
        int callers = Integer.parseInt(args[0]);
        int seconds = Integer.parseInt(args[2]);
        bareWakeUps(callers, seconds);
        System.out.println("| callers | batch time (µs) | grants/s | mean batch | ideal grants/s | ratio | hand-off per batch (µs) |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
        for (String batch : args[1].split(",")) {
            measure(callers, Long.parseLong(batch.trim()), seconds);
        }
    }

    /**
     * {@code callers} threads park; once all have, one thread unparks each, and each parks again
     * at once. Nothing is queued or answered: the cost of waking a parked thread and its parking
     * again, the least a hand-off to blocked callers can cost per caller.
     */
    private static void bareWakeUps(int callers, int seconds) throws InterruptedException {
        AtomicInteger parked = new AtomicInteger();
        AtomicLong round = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread waker = Thread.currentThread();
        Thread[] threads = new Thread[callers];
        for (int i = 0; i < callers; i++) {
            threads[i] = new Thread(() -> {
                long seen = 0;
                while (running.get()) {
                    if (parked.incrementAndGet() == callers) {
                        LockSupport.unpark(waker);
                    }
                    while (round.get() == seen && running.get()) {
                        LockSupport.park(round);
                    }
                    seen = round.get();
                }
            });
            threads[i].start();
        }
        long wakes = 0;
        long warmedUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        long start = 0;
        long end = warmedUp + TimeUnit.SECONDS.toNanos(seconds);
        for (long now = System.nanoTime(); now - end < 0; now = System.nanoTime()) {
            while (parked.get() < callers) {
                LockSupport.park(parked);
            }
            if (start == 0 && now - warmedUp >= 0) {
                start = now;
            }
            parked.set(0);
            round.incrementAndGet();
            for (Thread thread : threads) {
                LockSupport.unpark(thread);
            }
            if (start != 0) {
                wakes += callers;
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        running.set(false);
        for (Thread thread : threads) {
            LockSupport.unpark(thread);
            thread.join();
        }
        System.out.printf(Locale.ROOT, "Bare wake-ups, %d parked threads woken by one: %,.0f wake-ups/s, %.1f µs each, "
                + "%.0f µs for all %d%n%n", callers, wakes / elapsed, elapsed * 1e6 / wakes, elapsed * 1e6 / wakes * callers,
                callers);
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
