package dev.capacity.stress.crash;

import dev.capacity.CapacityException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.stress.internal.Options;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The process {@link H2Crash} kills: opens an H2 file database, installs the schema, defines two
 * conditional-update and two unique-slots resources, and reserves on them with several threads
 * as fast as it can, each request with its own idempotency key; now and then it releases one.
 * It never stops by itself before {@code --max-seconds}.
 *
 * <p>After each reservation that returned {@code RESERVED} (and each release that returned
 * {@code true}) it writes one line to standard output, in one {@code write} call, before it
 * makes its next request:
 * <pre>
 * R &lt;key&gt; &lt;id&gt; &lt;resource&gt; &lt;quantity&gt; .      (tab-separated)
 * F &lt;id&gt; .
 * </pre>
 * A line in the pipe outlives this process, so the parent counts as acknowledged exactly the
 * lines it reads; the final {@code .} tells a whole line from one cut by the kill.
 */
public final class CrashWorker {

    static final String RESERVED = "R";
    static final String RELEASED = "F";
    static final String END = ".";
    static final String READY = "READY";
    static final int RESOURCES_PER_FAMILY = 2;

    private final FileOutputStream out = new FileOutputStream(FileDescriptor.out);

    private CrashWorker() {}

    static String counterResource(String prefix, int i) {
        return prefix + "counter-" + i;
    }

    static String slotsResource(String prefix, int i) {
        return prefix + "slots-" + i;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "capacity", "jdbc-url", "max-seconds", "prefix", "release-one-in", "seed", "threads");
        String url = options.get("jdbc-url");
        String prefix = options.get("prefix");
        int threads = Integer.parseInt(options.get("threads"));
        long capacity = Long.parseLong(options.get("capacity"));
        long seed = Long.parseLong(options.get("seed"));
        int releaseOneIn = Integer.parseInt(options.get("release-one-in"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(options.get("max-seconds")));
        new CrashWorker().run(url, prefix, threads, capacity, seed, releaseOneIn, deadline);
        System.err.println("not killed before --max-seconds; exiting");
        System.exit(3);
    }

    private void run(String url, String prefix, int threads, long capacity, long seed, int releaseOneIn,
                     long deadline) throws InterruptedException {
        try (CapacityPool pool = CapacityPool.open(url, "sa", "", threads + 1)) {
            CapacitySchema.install(pool.jdbi());
            JdbiReservationStrategy counters = JdbiStrategies.conditionalUpdate(pool.jdbi());
            JdbiReservationStrategy slots = JdbiStrategies.uniqueSlots(pool.jdbi());
            for (int i = 0; i < RESOURCES_PER_FAMILY; i++) {
                counters.define(counterResource(prefix, i), capacity);
                slots.define(slotsResource(prefix, i), capacity);
            }
            line(READY);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                boolean slotFamily = t % 2 == 1;
                Thread worker = new Thread(() -> reserveUntil(slotFamily ? slots : counters, slotFamily, prefix,
                        thread, new SplittableRandom(seed * 1_000_003L + thread), releaseOneIn, deadline),
                        "crash-worker-" + t);
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
        }
    }

    private void reserveUntil(JdbiReservationStrategy strategy, boolean slotFamily, String prefix, int thread,
                              SplittableRandom random, int releaseOneIn, long deadline) {
        for (long n = 0; System.nanoTime() < deadline; n++) {
            int r = random.nextInt(RESOURCES_PER_FAMILY);
            String resource = slotFamily ? slotsResource(prefix, r) : counterResource(prefix, r);
            int quantity = 1 + random.nextInt(3);
            String key = prefix + "t" + thread + "-" + n;
            try {
                ReservationResult result = strategy.reserve(ReservationRequest.of(resource, "holder-" + thread)
                        .withQuantity(quantity).withIdempotencyKey(key));
                if (result.status() == ReservationResult.Status.INSUFFICIENT_CAPACITY) {
                    System.err.println(resource + " is full; thread " + thread + " stops");
                    return;
                }
                if (result.status() != ReservationResult.Status.RESERVED) {
                    continue;
                }
                long id = result.reservation().id();
                line(RESERVED + '\t' + key + '\t' + id + '\t' + resource + '\t' + quantity + '\t' + END);
                if (random.nextInt(releaseOneIn) == 0 && strategy.release(id)) {
                    line(RELEASED + '\t' + id + '\t' + END);
                }
            } catch (CapacityException e) {
                System.err.println("thread " + thread + ": " + e);
            }
        }
    }

    /** One line in one {@code write}: whole in the pipe, or not at all (lines are far below PIPE_BUF). */
    private void line(String text) {
        byte[] bytes = (text + '\n').getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            try {
                out.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
