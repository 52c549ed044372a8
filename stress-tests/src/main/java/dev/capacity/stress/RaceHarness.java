package dev.capacity.stress;

import dev.capacity.ReservationStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs one scenario against one strategy: defines the resources, starts every thread at one
 * barrier, records every call, then reads what the store holds and checks the history against
 * it ({@link HistoryChecker}). The result is a {@link RaceReport}; a violation carries the seed
 * that replays it.
 */
public final class RaceHarness {

    /** How long one race may take before it is declared stuck. */
    private static final long TIMEOUT_SECONDS = 600;

    private RaceHarness() {}

    /**
     * What to run.
     *
     * @param scenario the workload
     * @param threads racing threads
     * @param capacity the scale of the scenario, in units
     * @param seed the seed of the plan
     * @param contendedRetries how often a client retries a CONTENDED answer
     */
    public record Config(Scenario scenario, int threads, int capacity, long seed, int contendedRetries) {
        public Config {
            if (threads < 1 || capacity < 1 || contendedRetries < 0) {
                throw new IllegalArgumentException("threads and capacity must be positive, retries not negative");
            }
        }
    }

    /**
     * Runs the race.
     *
     * @param strategyName what the report calls the strategy
     * @param databaseName what the report calls the store
     * @param strategy the strategy under test
     * @param snapshot reads the store after the race, given the resource id prefix and the resource ids
     */
    public static RaceReport run(String strategyName, String databaseName, ReservationStrategy strategy,
                                 Function<Resources, Snapshot> snapshot, Config config) {
        String prefix = "race-" + Long.toHexString(config.seed() & 0xffffffffL) + "-" + Long.toHexString(System.nanoTime()) + "-";
        Scenario.Plan plan = config.scenario().plan(prefix, config.threads(), config.capacity(), config.seed());
        plan.capacities().forEach(strategy::define);
        History history = new History();
        long started = System.nanoTime();
        runThreads(0, plan.scripts(), strategy, history, config.contendedRetries());
        long elapsedNanos = System.nanoTime() - started;
        Snapshot after = snapshot.apply(new Resources(prefix, plan.capacities()));
        HistoryChecker.Verdict verdict = HistoryChecker.check(history.ops(), after, plan.capacities());
        return RaceReport.of(strategyName, databaseName, config, history.ops(), elapsedNanos, verdict);
    }

    /** The resources of a race: their id prefix and their starting capacities. */
    public record Resources(String prefix, Map<String, Long> capacities) {}

    /** Runs each script on a thread of its own, all released by one barrier; waits for all. */
    static void runThreads(int process, List<List<Scenario.Step>> scripts, ReservationStrategy strategy,
                           History history, int contendedRetries) {
        ExecutorService pool = Executors.newFixedThreadPool(scripts.size());
        try {
            CyclicBarrier start = new CyclicBarrier(scripts.size());
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < scripts.size(); t++) {
                int thread = t;
                running.add(pool.submit(() -> {
                    start.await();
                    new Client(process, thread, strategy, history, contendedRetries).run(scripts.get(thread));
                    return null;
                }));
            }
            for (Future<?> future : running) {
                future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("a racing thread failed or got stuck: " + e, e);
        } finally {
            pool.shutdownNow();
        }
    }
}
