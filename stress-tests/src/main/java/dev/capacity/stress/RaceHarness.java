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
import java.util.function.BooleanSupplier;
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
        String prefix = newPrefix("race", config.seed());
        Scenario.Plan plan = config.scenario().plan(prefix, config.threads(), config.capacity(), config.seed());
        String replay = String.format("mvn -q -pl stress-tests -am compile exec:java@harness -Dexec.args=\"--strategies %s"
                        + " --databases %s --scenarios %s --threads %d --capacity %d --seed %d\"", strategyName,
                databaseName, config.scenario().name().toLowerCase(java.util.Locale.ROOT), config.threads(),
                config.capacity(), config.seed());
        return run(new Race(strategyName, databaseName, config.scenario().name().toLowerCase(java.util.Locale.ROOT),
                config.seed(), prefix, plan, config.contendedRetries(), 0, replay), strategy, snapshot, new History());
    }

    /**
     * A race over any plan: who runs, on what, and how.
     *
     * @param workload what the report calls the plan
     * @param prefix the prefix of the plan's resource ids (no {@code _} or {@code %})
     * @param durationNanos 0 to run every script once; otherwise repeat the scripts for this long
     * @param replay the command that replays the race, for the report
     */
    public record Race(String strategy, String database, String workload, long seed, String prefix, Scenario.Plan plan,
                       int contendedRetries, long durationNanos, String replay) {}

    /**
     * Runs a race, recording into {@code history} as it goes (so that a caller can watch its size),
     * then checks it.
     */
    public static RaceReport run(Race race, ReservationStrategy strategy, Function<Resources, Snapshot> snapshot,
                                 History history) {
        return run(race, strategy, snapshot, history, () -> false);
    }

    /**
     * Runs a race that ends early when {@code stop} says so (asked by each thread before each
     * step), recording into {@code history} as it goes, then checks it.
     */
    public static RaceReport run(Race race, ReservationStrategy strategy, Function<Resources, Snapshot> snapshot,
                                 History history, BooleanSupplier stop) {
        return run(race, strategy, strategy, snapshot, history, stop);
    }

    /**
     * Runs a race whose resources {@code definer} defines before it starts (so that faults
     * injected into {@code strategy}'s store begin with the race, not before it), ending early
     * when {@code stop} says so, recording into {@code history} as it goes, then checks it.
     */
    public static RaceReport run(Race race, ReservationStrategy definer, ReservationStrategy strategy,
                                 Function<Resources, Snapshot> snapshot, History history, BooleanSupplier stop) {
        Scenario.Plan plan = race.plan();
        plan.capacities().forEach(definer::define);
        long started = System.nanoTime();
        long deadline = race.durationNanos() == 0 ? Long.MAX_VALUE : started + race.durationNanos();
        runThreads(0, plan.scripts(), strategy, history, race.contendedRetries(), deadline, stop);
        long elapsedNanos = System.nanoTime() - started;
        Snapshot after = snapshot.apply(new Resources(race.prefix(), plan.capacities()));
        HistoryChecker.Verdict verdict = HistoryChecker.check(history.ops(), after, plan.capacities());
        return RaceReport.of(race, plan.scripts().size(), history.ops(), elapsedNanos, verdict);
    }

    /** A resource-id prefix no other race uses: letters, digits and dashes. */
    public static String newPrefix(String name, long seed) {
        return name + "-" + Long.toHexString(seed & 0xffffffffL) + "-" + Long.toHexString(System.nanoTime()) + "-";
    }

    /** The resources of a race: their id prefix and their starting capacities. */
    public record Resources(String prefix, Map<String, Long> capacities) {}

    /** Runs each script on a thread of its own, all released by one barrier; waits for all. */
    static void runThreads(int process, List<List<Scenario.Step>> scripts, ReservationStrategy strategy,
                           History history, int contendedRetries, long deadlineNanos, BooleanSupplier stop) {
        ExecutorService pool = Executors.newFixedThreadPool(scripts.size());
        try {
            CyclicBarrier start = new CyclicBarrier(scripts.size());
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < scripts.size(); t++) {
                int thread = t;
                running.add(pool.submit(() -> {
                    start.await();
                    new Client(process, thread, strategy, history, contendedRetries, deadlineNanos, stop).run(scripts.get(thread));
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
