package dev.capacity.stress.internal;

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
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Runs one scenario against one strategy: defines the resources (and their per-holder limits),
 * starts every thread at one barrier, records every call, then reads what the store holds and
 * checks the history against it ({@link HistoryChecker}). The result is a {@link RaceReport}; a violation carries the seed
 * that replays it. A race fails rather than hangs: a client gives up on a request after
 * {@link #PATIENCE}, which ends a race without faults, and threads still running at the race's
 * {@link #deadline} are reported stuck, beside what the history shows so far.
 */
public final class RaceHarness {

    /**
     * The longest call of a sound strategy: its retry time ({@link StrategyOptions#maxRetryTime()},
     * 5 s by default), and a last attempt begun just before it ran out that waits out its lock
     * timeout (5 s).
     */
    static final Duration LONGEST_CALL = StrategyOptions.DEFAULT_MAX_RETRY_TIME.plus(StrategyOptions.DEFAULT_LOCK_TIMEOUT);

    /**
     * How long a client retries CONTENDED answers to one request before it gives up: a CONTENDED
     * answer can take {@link #LONGEST_CALL}, and after it the client retries for one more retry
     * time. Measured on 2 cores beside other builds: this harness's test, and the command line
     * with 32 threads on PostgreSQL, saw no CONTENDED answer; the multi-process race saw CONTENDED
     * after up to 5.8 s, and every retry succeeded.
     */
    public static final Duration PATIENCE = LONGEST_CALL.plus(StrategyOptions.DEFAULT_MAX_RETRY_TIME);

    /**
     * The time a race allows each step of its scripts, counted over all of them. The slowest races
     * measured took 2.3 ms a step (32 threads on one PostgreSQL row) and, beside other builds,
     * 23 ms a step (the multi-process race, with a stall of 5.8 s); this is 4 times the latter.
     */
    static final Duration PER_STEP = Duration.ofMillis(100);

    private RaceHarness() {}

    /**
     * What to run.
     *
     * @param scenario the workload
     * @param threads racing threads
     * @param capacity the scale of the scenario, in units
     * @param seed the seed of the plan
     * @param contendedRetries how often a client retries a CONTENDED answer at most (and for
     *     {@link #PATIENCE} at most)
     * @param clock the race's clock, which the strategy must read (see {@link Scenario#holds()})
     */
    public record Config(Scenario scenario, int threads, int capacity, long seed, int contendedRetries,
                         RaceClock clock) {
        public Config {
            if (threads < 1 || capacity < 1 || contendedRetries < 0) {
                throw new IllegalArgumentException("threads and capacity must be positive, retries not negative");
            }
        }

        /** A race with a clock of its own, for a scenario without holds. */
        public Config(Scenario scenario, int threads, int capacity, long seed, int contendedRetries) {
            this(scenario, threads, capacity, seed, contendedRetries, new RaceClock());
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
                databaseName, config.scenario().label(), config.threads(),
                config.capacity(), config.seed());
        return run(new Race(strategyName, databaseName, config.scenario().label(),
                config.seed(), prefix, plan, config.contendedRetries(), 0, replay, false, config.clock()), strategy,
                snapshot, new History());
    }

    /**
     * A race over any plan: who runs, on what, and how.
     *
     * @param workload what the report calls the plan
     * @param prefix the prefix of the plan's resource ids (no {@code _} or {@code %})
     * @param durationNanos 0 to run every script once; otherwise repeat the scripts for this long
     * @param replay the command that replays the race, for the report
     * @param underFaults whether faults are injected: then a client that gives up on a request
     *     moves on; without faults that is a livelock, which ends the race and fails it
     * @param clock the race's clock: the clients read it around every call and move it, and the
     *     strategy must judge holds by it
     */
    public record Race(String strategy, String database, String workload, long seed, String prefix, Scenario.Plan plan,
                       int contendedRetries, long durationNanos, String replay, boolean underFaults, RaceClock clock) {

        /** A race without faults, with a clock of its own: for a plan without holds. */
        public Race(String strategy, String database, String workload, long seed, String prefix, Scenario.Plan plan,
                    int contendedRetries, long durationNanos, String replay) {
            this(strategy, database, workload, seed, prefix, plan, contendedRetries, durationNanos, replay, false,
                    new RaceClock());
        }
    }

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
        return run(race, definer, strategy, strategy::reserve, snapshot, history, stop);
    }

    /**
     * Runs a race whose reserves go through {@code reserve} instead of the strategy's own
     * {@link ReservationStrategy#reserve} (the caller's code around it, for the kit's races); the
     * other calls of the plan go to {@code strategy}.
     */
    public static RaceReport run(Race race, ReservationStrategy definer, ReservationStrategy strategy,
                                 Function<ReservationRequest, ReservationResult> reserve,
                                 Function<Resources, Snapshot> snapshot, History history, BooleanSupplier stop) {
        return run(race, definer, strategy, reserve, snapshot, history, stop,
                deadline(race.plan().scripts(), race.durationNanos()));
    }

    /** {@link #run(Race, ReservationStrategy, ReservationStrategy, Function, Function, History, BooleanSupplier)} with another deadline. */
    public static RaceReport run(Race race, ReservationStrategy definer, ReservationStrategy strategy,
                                 Function<ReservationRequest, ReservationResult> reserve,
                                 Function<Resources, Snapshot> snapshot, History history, BooleanSupplier stop,
                                 Duration deadline) {
        Scenario.Plan plan = race.plan();
        plan.capacities().forEach(definer::define);
        plan.limits().forEach(definer::limitPerHolder);
        long started = System.nanoTime();
        List<String> stuck = runThreads(0, plan.scripts(), strategy, reserve, race.clock(), history,
                race.contendedRetries(), race.durationNanos(), race.underFaults(), stop, deadline);
        long elapsedNanos = System.nanoTime() - started;
        Snapshot after = snapshot.apply(new Resources(race.prefix(), plan.capacities())).at(race.clock().micros());
        HistoryChecker.Verdict verdict = HistoryChecker.check(history.ops(), after, plan.capacities(), plan.limits(),
                race.underFaults()).withStuck(stuck);
        return RaceReport.of(race, plan.scripts().size(), history.ops(), elapsedNanos, verdict);
    }

    /** A resource-id prefix no other race uses: letters, digits and dashes. */
    public static String newPrefix(String name, long seed) {
        return name + "-" + Long.toHexString(seed & 0xffffffffL) + "-" + Long.toHexString(System.nanoTime()) + "-";
    }

    /** The resources of a race: their id prefix and their starting capacities. */
    public record Resources(String prefix, Map<String, Long> capacities) {}

    /**
     * How long the threads of a race may run before they count as stuck: the race's duration, or,
     * for a race that runs its scripts once, {@link #PER_STEP} for each of their steps; then a
     * client's patience, and the call it may be in when that runs out.
     */
    public static Duration deadline(List<List<Scenario.Step>> scripts, long durationNanos) {
        Duration work = durationNanos != 0 ? Duration.ofNanos(durationNanos)
                : PER_STEP.multipliedBy(scripts.stream().mapToLong(List::size).sum());
        return work.plus(PATIENCE).plus(LONGEST_CALL);
    }

    /**
     * Runs each script on a thread of its own, all released by one barrier, and waits for all
     * until the race's {@link #deadline}. Without faults, a client that gives up on a request ends
     * the race: the others stop before their next step.
     *
     * @param durationNanos 0 to run every script once; otherwise repeat the scripts for this long
     * @return the threads still running at the deadline, each with the call it was in and where:
     *     none, unless something hangs
     */
    static List<String> runThreads(int process, List<List<Scenario.Step>> scripts, ReservationStrategy strategy,
                                   RaceClock clock, History history, int contendedRetries, long durationNanos,
                                   boolean underFaults, BooleanSupplier stop) {
        return runThreads(process, scripts, strategy, strategy::reserve, clock, history, contendedRetries, durationNanos,
                underFaults, stop, deadline(scripts, durationNanos));
    }

    /** {@link #runThreads} with another deadline: for the test of the deadline itself. */
    static List<String> runThreads(int process, List<List<Scenario.Step>> scripts, ReservationStrategy strategy,
                                   RaceClock clock, History history, int contendedRetries, long durationNanos,
                                   boolean underFaults, BooleanSupplier stop, Duration deadline) {
        return runThreads(process, scripts, strategy, strategy::reserve, clock, history, contendedRetries, durationNanos,
                underFaults, stop, deadline);
    }

    /** {@link #runThreads} with reserves made through {@code reserve}, and a deadline. */
    private static List<String> runThreads(int process, List<List<Scenario.Step>> scripts, ReservationStrategy strategy,
                                           Function<ReservationRequest, ReservationResult> reserve, RaceClock clock,
                                           History history, int contendedRetries, long durationNanos,
                                           boolean underFaults, BooleanSupplier stop, Duration deadline) {
        long started = System.nanoTime();
        long end = durationNanos == 0 ? Long.MAX_VALUE : started + durationNanos;
        AtomicBoolean halted = new AtomicBoolean();
        BooleanSupplier stops = () -> halted.get() || stop.getAsBoolean();
        Runnable gaveUp = underFaults ? () -> { } : () -> halted.set(true);
        ExecutorService pool = Executors.newFixedThreadPool(scripts.size(), task -> {
            Thread thread = new Thread(task);
            thread.setDaemon(true); // a stuck client must not keep the JVM alive
            return thread;
        });
        try {
            CyclicBarrier start = new CyclicBarrier(scripts.size());
            List<Client> clients = new ArrayList<>();
            AtomicReferenceArray<Thread> threads = new AtomicReferenceArray<>(scripts.size());
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < scripts.size(); t++) {
                int thread = t;
                Client client = new Client(process, thread, strategy, reserve, clock, history, contendedRetries, end,
                        stops, gaveUp);
                clients.add(client);
                running.add(pool.submit(() -> {
                    threads.set(thread, Thread.currentThread());
                    start.await();
                    client.run(scripts.get(thread));
                    return null;
                }));
            }
            List<String> stuck = new ArrayList<>();
            for (int t = 0; t < running.size(); t++) {
                try {
                    running.get(t).get(Math.max(0, started + deadline.toNanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    halted.set(true);
                    stuck.add(stuck(process, t, clients.get(t), threads.get(t), deadline));
                }
            }
            return stuck;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while racing", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a racing thread failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** What a thread still running at the deadline was doing, and where. */
    private static String stuck(int process, int thread, Client client, Thread running, Duration deadline) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "stuck: thread %d of process %d still running"
                + " at the race's deadline (%d s)", thread, process, deadline.toSeconds()));
        String doing = client.doing();
        out.append(doing == null ? ", between calls" : ", in a " + doing);
        if (running != null) {
            Arrays.stream(running.getStackTrace()).limit(10).forEach(frame -> out.append("\n    at ").append(frame));
        }
        return out.toString();
    }
}
