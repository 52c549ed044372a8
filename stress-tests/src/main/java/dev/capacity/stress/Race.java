package dev.capacity.stress;

import dev.capacity.Availability;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;
import dev.capacity.stress.internal.History;
import dev.capacity.stress.internal.RaceClock;
import dev.capacity.stress.internal.RaceHarness;
import dev.capacity.stress.internal.RaceReport;
import dev.capacity.stress.internal.Scenario;
import dev.capacity.stress.internal.Snapshot;

import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Races your own reservation code from many threads against one strategy, and checks the history
 * as the library checks itself: nothing oversold, nothing undersold (no request refused while
 * its units were free for all of its call), every reservation row acknowledged to exactly one
 * request, at most one reservation per idempotency key, no call that failed or hung. The
 * {@link RaceResult} also carries throughput and latency percentiles, for comparing strategies
 * on your workload.
 *
 * <pre>{@code
 * @ParameterizedTest(name = "{0}")
 * @AllStrategies(databases = {"h2", "postgres"})
 * void enroll_32Threads_neverOversells(ReservationStrategy strategy, Jdbi jdbi) {
 *     EnrollmentService service = new EnrollmentService(strategy, jdbi);
 *     service.createTable();
 *     service.openCourse("java-101", 20);
 *
 *     RaceResult result = Race.against(strategy)
 *             .resource("java-101")
 *             .threads(32)
 *             .run(call -> service.enroll(call.resourceId(), call.holderId(), call.idempotencyKey()).seat());
 *
 *     result.assertCorrect();
 * }
 * }</pre>
 *
 * <p>All threads start at one barrier. By default each of 8 threads makes calls until the race
 * has asked for twice the capacity of its resources, one unit at a time, each call from a new
 * holder, spread over the resources by a seeded random choice ({@link #seed(long)} replays it;
 * the result prints the seed it used). Holders and keys are new in every race, so that races can
 * follow one another on one strategy. A call answered {@code CONTENDED} is tried again after a
 * short, growing pause, as a patient caller would, up to 100 times. A race that does not finish
 * within its {@link #deadline(Duration)} fails with what each stuck thread was doing: a livelock
 * turns a test red, it does not hang it.
 *
 * <p>No faults are injected into a race, so every call must come to a definite answer that fits
 * it: {@code RESERVED}, {@code REPLAYED}, {@code INSUFFICIENT_CAPACITY}, {@code CONTENDED} (tried
 * again), or {@code HOLDER_LIMIT_REACHED} on a resource with a {@link #limitPerHolder limit}. An
 * exception from the operation (also {@link dev.capacity.StoreUnavailableException} and
 * {@link dev.capacity.OutcomeUnknownException}), a null answer, another status, or a reservation
 * for something other than the call asked for is an error, and the race fails.
 *
 * <p>What the store holds afterwards is read from the strategy's tables when the race knows them:
 * for the strategies of {@link AllStrategies} it does, for your own give them with
 * {@link #tables(Jdbi)}; otherwise (and for the in-memory strategy) only the counters are
 * compared. A {@code Race} is a builder: not threadsafe, and each {@link #run} is a race of its own.
 */
public final class Race {

    /** How often a call answered {@code CONTENDED} is tried again. */
    static final int CONTENDED_RETRIES = 100;

    /** The longest pause between the tries of a call answered {@code CONTENDED}. */
    private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** Each racing thread's {@code CONTENDED} answers in a row. */
    private static final ThreadLocal<int[]> CONTENDED_IN_A_ROW = ThreadLocal.withInitial(() -> new int[1]);

    private final ReservationStrategy strategy;
    /** Each resource of the race, with the capacity to define it with, or null if the caller defined it. */
    private final Map<String, Long> resources = new LinkedHashMap<>();
    private final Map<String, Long> limits = new LinkedHashMap<>();
    private String name;
    private int threads = 8;
    private int holders;
    private Duration deadline;
    private int callsPerThread;
    private int minUnits = 1;
    private int maxUnits = 1;
    private boolean doubleSubmits;
    private Long seed;
    private Jdbi tables;
    private String tablePrefix;

    private Race(ReservationStrategy strategy) {
        this.strategy = strategy;
    }

    /** A race against {@code strategy}: the one your operation reserves through. */
    public static Race against(ReservationStrategy strategy) {
        return new Race(Objects.requireNonNull(strategy, "strategy"));
    }

    /**
     * Races for {@code resourceId}, which the race defines with {@code capacity} before it starts
     * (nothing happens if it exists with that capacity). It must have nothing reserved yet.
     */
    public Race resource(String resourceId, long capacity) {
        requireNewResource(resourceId);
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity + " for " + resourceId);
        }
        resources.put(resourceId, capacity);
        return this;
    }

    /**
     * Races for {@code resourceId}, which your code has defined (its capacity is read when the race
     * starts). It must have nothing reserved yet.
     */
    public Race resource(String resourceId) {
        requireNewResource(resourceId);
        resources.put(resourceId, null);
        return this;
    }

    private void requireNewResource(String resourceId) {
        Objects.requireNonNull(resourceId, "resourceId");
        if (resources.containsKey(resourceId)) {
            throw new IllegalArgumentException("resourceId " + resourceId + " is in the race already");
        }
    }

    /** Racing threads, 1 to 1,024; 8 by default. */
    public Race threads(int threads) {
        if (threads < 1 || threads > 1_024) {
            throw new IllegalArgumentException("threads must be 1 to 1024, was " + threads);
        }
        this.threads = threads;
        return this;
    }

    /**
     * Calls each thread makes, 1 to 100,000; by default as many as it takes for the race to ask for
     * twice the capacity of its resources.
     */
    public Race callsPerThread(int calls) {
        if (calls < 1 || calls > 100_000) {
            throw new IllegalArgumentException("callsPerThread must be 1 to 100000, was " + calls);
        }
        this.callsPerThread = calls;
        return this;
    }

    /** Units each call asks for: {@code units} every time (1 by default). */
    public Race units(int units) {
        return units(units, units);
    }

    /** Units each call asks for: from {@code min} to {@code max}, chosen by the race's seed. */
    public Race units(int min, int max) {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException("units must satisfy 1 <= min <= max, were min " + min + ", max " + max);
        }
        this.minUnits = min;
        this.maxUnits = max;
        return this;
    }

    /**
     * Every request carries an idempotency key and is sent twice at once, by two threads (threads
     * 0 and 1 make the same calls, 2 and 3, ...; with an odd number of threads the last one sends
     * its requests once): a double submit. The race then also checks that each key got at most one
     * reservation, and that both calls were answered with it.
     */
    public Race doubleSubmits() {
        this.doubleSubmits = true;
        return this;
    }

    /**
     * The calls come from {@code holders} holders, each call's chosen by the seed, instead of a new
     * holder for each request: for code that keeps a {@link #limitPerHolder limit per holder}, or
     * counts per customer, under a crowd of the same customers.
     */
    public Race holders(int holders) {
        if (holders < 1) {
            throw new IllegalArgumentException("holders must be at least 1, was " + holders);
        }
        this.holders = holders;
        return this;
    }

    /**
     * {@code resourceId}, which must be in the race already, has a limit of {@code maxUnits} per
     * holder: the race sets it before it starts (setting it again to the same value changes
     * nothing), accepts {@code HOLDER_LIMIT_REACHED} as an answer, and checks that no holder ever
     * held more and that none was refused while its limit left room.
     */
    public Race limitPerHolder(String resourceId, long maxUnits) {
        Objects.requireNonNull(resourceId, "resourceId");
        if (!resources.containsKey(resourceId)) {
            throw new IllegalArgumentException("resourceId " + resourceId + " is not in the race: add it with resource(...) first");
        }
        if (maxUnits < 1) {
            throw new IllegalArgumentException("maxUnits must be at least 1, was " + maxUnits + " for " + resourceId);
        }
        limits.put(resourceId, maxUnits);
        return this;
    }

    /**
     * How long the race may run before its threads count as stuck and it fails; by default 0.1 s
     * per call in all, plus 25 s (a patient caller's 15 s and the library's longest call).
     */
    public Race deadline(Duration deadline) {
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline must be positive, was " + deadline);
        }
        this.deadline = deadline;
        return this;
    }

    /**
     * What the result and the table call the race; by default {@code <database>/<strategy>} for a
     * strategy of {@link AllStrategies}, else the strategy's name.
     */
    public Race name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /** The seed of the race's choices (resources, units): a failed race prints it, so that it can be replayed. */
    public Race seed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Where {@code strategy} keeps its reservations, for a strategy not made by {@link AllStrategies}:
     * the race then reads the reservation rows afterwards and checks each against the answers.
     * Tables with the default prefix ({@code capacity_}).
     */
    public Race tables(Jdbi jdbi) {
        return tables(jdbi, StrategyOptions.defaults().tablePrefix());
    }

    /** {@link #tables(Jdbi)} for a strategy built with {@link StrategyOptions#tablePrefix()} {@code prefix}. */
    public Race tables(Jdbi jdbi, String prefix) {
        this.tables = Objects.requireNonNull(jdbi, "jdbi");
        this.tablePrefix = Objects.requireNonNull(prefix, "prefix");
        return this;
    }

    /**
     * Runs the race: every thread calls {@code operation} for its calls, all starting at once,
     * and the history is checked when all have finished (or the deadline has passed).
     *
     * @throws IllegalStateException before anything is reserved, if the race has no resource, a
     *     resource your code was to define does not exist, or a resource has units reserved already
     */
    public RaceResult run(RaceOperation operation) {
        Objects.requireNonNull(operation, "operation");
        if (resources.isEmpty()) {
            throw new IllegalStateException("the race has no resource: add one with resource(id, capacity) or resource(id)");
        }
        if (doubleSubmits && threads < 2) {
            throw new IllegalStateException("doubleSubmits() needs at least 2 threads, to send each request twice at once");
        }
        Map<String, Long> capacities = capacities();
        long raceSeed = seed != null ? seed : System.nanoTime();
        Scenario.Plan plan = plan(capacities, raceSeed, RaceHarness.newPrefix("race", raceSeed));
        Optional<StrategyArguments.Opened> opened = StrategyArguments.Opened.of(strategy);
        String label = name != null ? name : opened.map(o -> o.displayName).orElse(strategy.name());
        String database = opened.map(o -> o.displayName.substring(0, o.displayName.indexOf('/'))).orElse("-");
        Optional<Jdbi> rows = tables != null ? Optional.of(tables) : opened.flatMap(StrategyArguments.Opened::strategyTables);
        String prefix = tables != null ? tablePrefix : StrategyOptions.defaults().tablePrefix();
        // rows the resources had before the race (released ones: nothing may be reserved) are not the race's
        Set<Long> before = rows.map(jdbi -> Snapshot.fromTables(jdbi, prefix, capacities.keySet()).rows().keySet())
                .orElse(Set.of());
        long calls = plan.scripts().stream().mapToLong(List::size).sum();
        String workload = String.format(Locale.ROOT, "%d threads x %d calls", threads, calls / threads);
        RaceHarness.Race race = new RaceHarness.Race(strategy.name(), database, workload, raceSeed, "", plan,
                CONTENDED_RETRIES, 0, "run the race again with .seed(" + raceSeed + ")", false, new RaceClock());
        History history = new History();
        Function<RaceHarness.Resources, Snapshot> snapshot = resources -> rows
                .map(jdbi -> withoutRows(Snapshot.fromTables(jdbi, prefix, resources.capacities().keySet()), before))
                .orElseGet(() -> Snapshot.fromAvailability(strategy, resources.capacities().keySet()));
        RaceReport report = RaceHarness.run(race, strategy, strategy, request -> reserve(operation, request), snapshot,
                history, () -> false, deadline != null ? deadline : RaceHarness.deadline(plan.scripts(), 0));
        return RaceResult.of(label, report, history.ops(), rows.isPresent());
    }

    private static Snapshot withoutRows(Snapshot snapshot, Set<Long> ids) {
        Map<Long, Snapshot.Row> rows = new LinkedHashMap<>(snapshot.rows());
        rows.keySet().removeAll(ids);
        return new Snapshot(snapshot.resources(), rows);
    }

    /** The capacity of each resource, defining those the race defines; checks that none has anything reserved. */
    private Map<String, Long> capacities() {
        Map<String, Long> capacities = new LinkedHashMap<>();
        resources.forEach((id, capacity) -> {
            if (capacity != null) {
                strategy.define(id, capacity);
            }
            Availability availability = strategy.availability(id).orElseThrow(() -> new IllegalStateException(
                    "resource " + id + " is not defined: define it before the race, or race with resource(id, capacity)"));
            if (availability.reserved() != 0) {
                throw new IllegalStateException("resource " + id + " has " + availability.reserved()
                        + " units reserved before the race; a race starts from a resource with nothing reserved");
            }
            capacities.put(id, availability.capacity());
        });
        return capacities;
    }

    /**
     * The calls of each thread: holders (new ones, or of the race's pool), resources and units
     * chosen by the seed, paired threads for double submits; ids and keys start with {@code unique}.
     */
    private Scenario.Plan plan(Map<String, Long> capacities, long raceSeed, String unique) {
        SplittableRandom random = new SplittableRandom(raceSeed);
        List<String> ids = List.copyOf(capacities.keySet());
        long total = capacities.values().stream().mapToLong(Long::longValue).sum();
        int senders = doubleSubmits ? (threads + 1) / 2 : threads;
        double meanUnits = (minUnits + maxUnits) / 2.0;
        int calls = callsPerThread != 0 ? callsPerThread
                : (int) Math.max(1, Math.min(100_000, Math.ceil(2 * total / meanUnits / senders)));
        List<List<Scenario.Step>> scripts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            scripts.add(new ArrayList<>());
        }
        for (int i = 0; i < calls; i++) {
            for (int sender = 0; sender < senders; sender++) {
                String holder = unique + "holder-" + (holders == 0 ? sender + "-" + i : random.nextInt(holders));
                Scenario.Reserve call = new Scenario.Reserve(ids.get(random.nextInt(ids.size())), holder,
                        minUnits + random.nextInt(maxUnits - minUnits + 1),
                        doubleSubmits ? unique + "key-" + sender + "-" + i : "");
                int first = doubleSubmits ? 2 * sender : sender;
                scripts.get(first).add(call);
                if (doubleSubmits && first + 1 < threads) {
                    scripts.get(first + 1).add(call);
                }
            }
        }
        return new Scenario.Plan(capacities, scripts, Map.copyOf(limits));
    }

    /**
     * One call of the operation, for the race's client: its answer, checked to fit the call. Any
     * failure is rethrown as an {@link IllegalStateException}, which the history records as an
     * error: without faults, even an unavailable store or an unknown outcome is one. A
     * {@code CONTENDED} answer is returned after a pause that grows with the thread's
     * {@code CONTENDED} answers in a row.
     */
    private ReservationResult reserve(RaceOperation operation, ReservationRequest request) {
        RaceCall call = new RaceCall(request.resourceId(), request.holderId(), request.quantity(), request.idempotencyKey());
        ReservationResult result;
        try {
            result = operation.reserve(call);
        } catch (Exception e) {
            throw new IllegalStateException("the operation threw " + e, e);
        }
        if (result == null) {
            throw new IllegalStateException("the operation answered null to " + call);
        }
        switch (result.status()) {
            case RESERVED:
            case REPLAYED:
                Reservation r = result.reservation();
                if (!r.resourceId().equals(call.resourceId()) || !r.holderId().equals(call.holderId())
                        || r.quantity() != call.units()) {
                    throw new IllegalStateException("the operation answered with reservation " + r.id() + " of "
                            + r.quantity() + " of " + r.resourceId() + " for " + r.holderId() + ", asked for "
                            + call.units() + " of " + call.resourceId() + " for " + call.holderId());
                }
                break;
            case INSUFFICIENT_CAPACITY:
                break;
            case HOLDER_LIMIT_REACHED:
                if (!limits.containsKey(call.resourceId())) {
                    throw new IllegalStateException("the operation answered HOLDER_LIMIT_REACHED for " + call.resourceId()
                            + ", which has no limit in the race: declare it with limitPerHolder");
                }
                break;
            case CONTENDED:
                pauseAfterContended();
                return result;
            default:
                throw new IllegalStateException("the operation answered " + result.status() + " to " + call
                        + ": a race asks for its own resources with new keys");
        }
        CONTENDED_IN_A_ROW.get()[0] = 0;
        return result;
    }

    /** Waits 1 ms, 2 ms, 4 ms, ... up to 50 ms, each between half and all of it, after a {@code CONTENDED} answer. */
    private static void pauseAfterContended() {
        int[] inARow = CONTENDED_IN_A_ROW.get();
        long pause = Math.min(MAX_PAUSE_NANOS, TimeUnit.MILLISECONDS.toNanos(1) << Math.min(inARow[0]++, 6));
        LockSupport.parkNanos(pause / 2 + ThreadLocalRandom.current().nextLong(pause / 2 + 1));
    }
}
