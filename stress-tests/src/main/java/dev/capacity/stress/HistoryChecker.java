package dev.capacity.stress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks a race's history against what the store holds afterwards, the way Jepsen's set checker
 * does: it never assumes an order the clients could not have observed.
 *
 * <h2>What it checks</h2>
 * <ul>
 *   <li><b>oversold</b>, in units beyond the capacity, the worst seen: at the end, more units held than the capacity (where no resize ran); and,
 *       for every grant, the units <em>certainly</em> held by others while it ran (granted before it
 *       started, not released before it ended) plus its own exceed every capacity that can have
 *       been in force meanwhile.</li>
 *   <li><b>undersold</b>, in requests: a refusal of q units while, at every moment of the refusal, the smallest
 *       capacity possibly in force minus the units <em>possibly</em> held left room for q; or, where
 *       nothing was released or resized, a refusal of q with q units still free at the end. In a race
 *       without faults the same goes for a request a client gave up on: one thread's tries of one
 *       request, every one answered CONTENDED, judged from the first try's start to the last one's end.</li>
 *   <li><b>stuck</b>: in a race without faults, a request a client gave up on (a livelock, even where
 *       nothing proves a unit was free); and a thread still running at the race's deadline
 *       ({@link Verdict#withStuck}).</li>
 *   <li><b>ledger</b>: the counter (or slot count) differs from the sum of the unreleased rows (for
 *       the in-memory strategy, from the grants minus the releases of the history).</li>
 *   <li><b>lost</b>: an acknowledged reservation with no row (or a row with another resource or
 *       quantity), an acknowledged release whose row is not released, or a row released by no
 *       release at all.</li>
 *   <li><b>unexpected</b>: a row no operation acknowledged, beyond the number of reserves whose
 *       outcome is unknown (those are reported as explained).</li>
 *   <li><b>duplicate keys</b>: two reservations for one idempotency key, in the rows or in the
 *       answers.</li>
 *   <li><b>errors</b>: an exception other than {@code StoreUnavailableException} or
 *       {@code OutcomeUnknownException}.</li>
 * </ul>
 * Both interval checks are sound: a violation they report is one no interleaving explains.
 *
 * <p>This class is stateless and threadsafe.
 */
public final class HistoryChecker {

    private static final int MAX_PROBLEMS = 25;
    private static final Set<String> EXPECTED_FAILURES = Set.of("StoreUnavailableException", "OutcomeUnknownException");
    private static final Set<String> RESULTS = Set.of("RESERVED", "REPLAYED", "INSUFFICIENT_CAPACITY",
            "UNKNOWN_RESOURCE", "IDEMPOTENCY_KEY_CONFLICT", "CONTENDED", "true", "false", "done");

    private HistoryChecker() {}

    /** What the check found; {@link #ok()} when every count of a violation is zero. */
    public record Verdict(long oversold, long undersold, long ledger, long lost, long unexpected, long duplicateKeys,
                          long errors, long stuck, long unknown, long explainedByUnknown, List<String> problems) {

        public boolean ok() {
            return oversold == 0 && undersold == 0 && ledger == 0 && lost == 0 && unexpected == 0
                    && duplicateKeys == 0 && errors == 0 && stuck == 0;
        }

        /** This verdict with threads that were still running at the race's deadline, described, first. */
        public Verdict withStuck(List<String> threads) {
            List<String> all = new ArrayList<>(threads);
            all.addAll(problems);
            return new Verdict(oversold, undersold, ledger, lost, unexpected, duplicateKeys, errors,
                    stuck + threads.size(), unknown, explainedByUnknown, List.copyOf(all));
        }
    }

    /**
     * A request that ended without units: a refusal (one operation, {@code first == last}), or the
     * {@code tries} of a request a client gave up on, every one answered CONTENDED.
     */
    private record Unsold(Op first, Op last, int tries) {

        boolean gaveUp() {
            return !last.refused();
        }

        String gaveUpAfter() {
            return String.format(Locale.ROOT, "%s (process %d, thread %d) gave up after %.1f s of retries (%d CONTENDED"
                    + " answer%s)", last.holderId(), last.process(), last.thread(),
                    (last.completedMicros() - first.invokedMicros()) / 1e6, tries, tries == 1 ? "" : "s");
        }
    }

    /** A reservation as the history knows it. */
    private static final class Holding {
        final long id;
        String resourceId;
        int quantity;
        long acknowledgedAt = Long.MAX_VALUE;
        Op reservedBy;
        final List<Op> releases = new ArrayList<>();

        Holding(long id) {
            this.id = id;
        }

        /** When a release may have taken effect first: the earliest invocation of one that may have happened. */
        long possiblyReleasedFrom() {
            return releases.stream().filter(r -> r.released() || r.outcome() == Op.Outcome.UNKNOWN)
                    .mapToLong(Op::invokedMicros).min().orElse(Long.MAX_VALUE);
        }

        /** When a release certainly had taken effect: the earliest completion of one that returned true. */
        long certainlyReleasedAt() {
            return releases.stream().filter(Op::released).mapToLong(Op::completedMicros).min().orElse(Long.MAX_VALUE);
        }

        boolean possiblyReleased() {
            return possiblyReleasedFrom() != Long.MAX_VALUE;
        }
    }

    /** Checks a race without faults: see {@link #check(List, Snapshot, Map, boolean)}. */
    public static Verdict check(List<Op> ops, Snapshot snapshot, Map<String, Long> initialCapacities) {
        return check(ops, snapshot, initialCapacities, false);
    }

    /**
     * @param initialCapacities the capacity each resource had when the race started
     * @param underFaults whether faults were injected: then CONTENDED is an answer the design
     *     allows for as long as they last, and a request a client gave up on is not judged
     */
    public static Verdict check(List<Op> ops, Snapshot snapshot, Map<String, Long> initialCapacities,
                                boolean underFaults) {
        Findings f = new Findings();
        Map<Long, Holding> holdings = new LinkedHashMap<>();
        Map<String, Set<Long>> idsByKey = new HashMap<>();
        Map<String, List<Op>> byResource = new HashMap<>();
        for (Op op : ops) {
            byResource.computeIfAbsent(op.resourceId(), k -> new ArrayList<>()).add(op);
            if (!RESULTS.contains(op.result()) && !EXPECTED_FAILURES.contains(op.result())) {
                f.errors++;
                f.problem("error: " + op);
            }
            if (op.outcome() == Op.Outcome.UNKNOWN) {
                f.unknown++;
            }
            if (op.granted()) {
                Holding h = holdings.computeIfAbsent(op.reservationId(), Holding::new);
                h.resourceId = op.resourceId();
                h.quantity = op.quantity();
                h.acknowledgedAt = Math.min(h.acknowledgedAt, op.completedMicros());
                if ("RESERVED".equals(op.result())) {
                    if (h.reservedBy != null) {
                        f.duplicateKeys++;
                        f.problem("reservation " + op.reservationId() + " was granted twice: " + h.reservedBy + " and " + op);
                    }
                    h.reservedBy = op;
                }
                if (op.hasKey()) {
                    idsByKey.computeIfAbsent(op.key(), k -> new HashSet<>()).add(op.reservationId());
                }
            }
        }
        for (Op op : ops) {
            if (op.kind() == Op.Kind.RELEASE && op.reservationId() != 0) {
                holdings.computeIfAbsent(op.reservationId(), Holding::new).releases.add(op);
            }
        }
        idsByKey.forEach((key, ids) -> {
            if (ids.size() > 1) {
                f.duplicateKeys += ids.size() - 1;
                f.problem("idempotency key " + key + " answered with reservations " + ids);
            }
        });
        if (snapshot.hasRows()) {
            Map<String, List<Long>> rowsByKey = new HashMap<>();
            snapshot.rows().values().stream().filter(r -> !r.key().isEmpty())
                    .forEach(r -> rowsByKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.id()));
            rowsByKey.forEach((key, ids) -> {
                if (ids.size() > 1) {
                    f.duplicateKeys += ids.size() - 1;
                    f.problem("idempotency key " + key + " has rows " + ids);
                }
            });
        }
        for (Map.Entry<String, Long> resource : initialCapacities.entrySet()) {
            String id = resource.getKey();
            Snapshot.ResourceState state = snapshot.resources().get(id);
            if (state == null) {
                f.lost++;
                f.problem("resource " + id + " is gone");
                continue;
            }
            List<Holding> mine = holdings.values().stream().filter(h -> id.equals(h.resourceId)).toList();
            List<Op> opsHere = byResource.getOrDefault(id, List.of());
            List<Unsold> unsold = new ArrayList<>();
            opsHere.stream().filter(Op::refused).forEach(o -> unsold.add(new Unsold(o, o, 1)));
            if (!underFaults) {
                unsold.addAll(givenUp(opsHere));
            }
            checkResource(f, id, resource.getValue(), state, opsHere, unsold, mine, holdings, snapshot);
        }
        return new Verdict(f.oversold, f.undersold, f.ledger, f.lost, f.unexpected, f.duplicateKeys, f.errors, f.stuck,
                f.unknown, f.explained, List.copyOf(f.problems));
    }

    /**
     * The requests clients gave up on, among the operations of one resource: a client retries a
     * CONTENDED answer at once, so its tries of one request are consecutive among its thread's
     * operations, and the request was given up if the last of them is CONTENDED.
     */
    private static List<Unsold> givenUp(List<Op> ops) {
        Map<List<Integer>, List<Op>> byThread = new LinkedHashMap<>();
        for (Op op : ops) {
            byThread.computeIfAbsent(List.of(op.process(), op.thread()), k -> new ArrayList<>()).add(op);
        }
        List<Unsold> givenUp = new ArrayList<>();
        for (List<Op> mine : byThread.values()) {
            int first = 0;
            for (int i = 0; i < mine.size(); i++) {
                Op op = mine.get(i);
                if (i > 0 && !sameRequest(mine.get(i - 1), op)) {
                    first = i;
                }
                boolean last = i + 1 == mine.size() || !sameRequest(op, mine.get(i + 1));
                if (last && op.kind() == Op.Kind.RESERVE && "CONTENDED".equals(op.result())) {
                    givenUp.add(new Unsold(mine.get(first), op, i - first + 1));
                }
            }
        }
        return givenUp;
    }

    /** Whether {@code b} is a retry of {@code a}: CONTENDED, then the same reserve again. */
    private static boolean sameRequest(Op a, Op b) {
        return a.kind() == Op.Kind.RESERVE && b.kind() == Op.Kind.RESERVE && "CONTENDED".equals(a.result())
                && a.resourceId().equals(b.resourceId()) && a.holderId().equals(b.holderId())
                && a.quantity() == b.quantity() && a.key().equals(b.key());
    }

    private static void checkResource(Findings f, String id, long initialCapacity, Snapshot.ResourceState state,
                                      List<Op> ops, List<Unsold> unsold, List<Holding> mine, Map<Long, Holding> holdings,
                                      Snapshot snapshot) {
        Capacities capacities = new Capacities(initialCapacity,
                ops.stream().filter(o -> o.kind() == Op.Kind.RESIZE && o.outcome() != Op.Outcome.FAIL).toList());
        boolean resized = !capacities.resizes.isEmpty();
        boolean released = ops.stream().anyMatch(o -> o.released() || (o.kind() == Op.Kind.RELEASE
                && o.outcome() == Op.Outcome.UNKNOWN));

        // what is held at the end, and the ledger
        long held;
        if (snapshot.hasRows()) {
            held = snapshot.rows().values().stream().filter(r -> id.equals(r.resourceId()) && !r.released())
                    .mapToLong(Snapshot.Row::quantity).sum();
        } else {
            held = mine.stream().filter(h -> h.certainlyReleasedAt() == Long.MAX_VALUE).mapToLong(h -> h.quantity).sum();
        }
        if (state.counter() != held) {
            f.ledger++;
            f.problem(id + ": counter " + state.counter() + " but the unreleased reservations add up to " + held);
        }
        if (!resized && held > state.capacity()) {
            f.oversold = Math.max(f.oversold, held - state.capacity());
            f.problem(id + ": " + held + " units held at the end, capacity " + state.capacity());
        }

        // grants: the units certainly held by others while each ran
        List<Op> grants = ops.stream().filter(o -> o.granted() && "RESERVED".equals(o.result())).toList();
        DominanceSum certainlyHeld = new DominanceSum();
        for (Holding h : mine) {
            if (h.acknowledgedAt != Long.MAX_VALUE) {
                certainlyHeld.add(h.acknowledgedAt, h.possiblyReleasedFrom(), h.quantity);
            }
        }
        long[] heldBefore = certainlyHeld.sums(grants.stream().mapToLong(Op::invokedMicros).toArray(), null);
        // released meanwhile: possibly from before the grant's last microsecond (a fast call starts
        // and ends within one, so calls stamped alike may have run in either order)
        long[] releasedMeanwhile = certainlyHeld.sums(grants.stream().mapToLong(Op::invokedMicros).toArray(),
                grants.stream().mapToLong(o -> o.completedMicros() + 1).toArray());
        for (int i = 0; i < grants.size(); i++) {
            Op grant = grants.get(i);
            Holding own = holdings.get(grant.reservationId());
            long ownEarlier = own.acknowledgedAt < grant.invokedMicros()
                    && own.possiblyReleasedFrom() > grant.completedMicros() ? own.quantity : 0;
            long others = heldBefore[i] - releasedMeanwhile[i] - ownEarlier;
            long max = capacities.max(grant.invokedMicros(), grant.completedMicros());
            if (others + grant.quantity() > max) {
                f.oversold = Math.max(f.oversold, others + grant.quantity() - max);
                f.problem(id + ": granted " + grant.quantity() + " while " + others + " were certainly held of at most "
                        + max + ": " + grant);
            }
        }

        // refusals and requests given up: the units possibly held while each ran, and at the end
        if (!unsold.isEmpty()) {
            DominanceSum possiblyHeld = new DominanceSum();
            if (snapshot.hasRows()) {
                for (Snapshot.Row row : snapshot.rows().values()) {
                    if (id.equals(row.resourceId())) {
                        Holding h = holdings.get(row.id());
                        long from = h == null || h.reservedBy == null ? Long.MIN_VALUE : h.reservedBy.invokedMicros();
                        long until = h == null ? Long.MAX_VALUE : h.certainlyReleasedAt();
                        possiblyHeld.add(from, until, row.quantity());
                    }
                }
            } else {
                for (Holding h : mine) {
                    long from = h.reservedBy == null ? Long.MIN_VALUE : h.reservedBy.invokedMicros();
                    possiblyHeld.add(from, h.certainlyReleasedAt(), h.quantity);
                }
            }
            long[] ends = unsold.stream().mapToLong(u -> u.last().completedMicros() + 1).toArray();
            long[] startedBefore = possiblyHeld.sums(ends, null);
            long[] goneBefore = possiblyHeld.sums(ends, unsold.stream().mapToLong(u -> u.first().invokedMicros()).toArray());
            long freeAtEnd = resized || released ? -1 : state.capacity() - held;
            for (int i = 0; i < unsold.size(); i++) {
                Unsold u = unsold.get(i);
                int quantity = u.last().quantity();
                long possibly = startedBefore[i] - goneBefore[i];
                long min = capacities.min(u.first().invokedMicros(), u.last().completedMicros());
                String why = min - possibly >= quantity ? "while at most " + possibly + " of at least " + min
                        + " were held" : freeAtEnd >= quantity ? "with " + freeAtEnd + " still free at the end" : null;
                if (why != null) {
                    f.undersold++;
                }
                String units = quantity + (quantity == 1 ? " unit of " : " units of ") + id;
                if (u.gaveUp()) {
                    f.stuck++;
                    f.problem(why != null ? "undersold: " + units + " never sold: " + u.gaveUpAfter() + " " + why + ": "
                            + u.last() : "stuck: " + u.gaveUpAfter() + " on " + units + ": " + u.last());
                } else if (why != null) {
                    f.problem("undersold: " + units + " refused " + why + ": " + u.last());
                }
            }
        }

        // rows against acknowledgements
        if (snapshot.hasRows()) {
            for (Holding h : mine) {
                Snapshot.Row row = snapshot.rows().get(h.id);
                if (row == null || !row.resourceId().equals(id) || row.quantity() != h.quantity) {
                    f.lost++;
                    f.problem(id + ": acknowledged reservation " + h.id + " (" + h.quantity + " units) has row " + row);
                } else if (row.released() && !h.possiblyReleased()) {
                    f.lost++;
                    f.problem(id + ": reservation " + h.id + " is released, but no release of it ran");
                } else if (!row.released() && h.certainlyReleasedAt() != Long.MAX_VALUE) {
                    f.lost++;
                    f.problem(id + ": release of " + h.id + " returned true, but its row is not released");
                }
            }
            long strangers = snapshot.rows().values().stream()
                    .filter(r -> id.equals(r.resourceId()) && !holdings.containsKey(r.id()) ).count();
            long unknownReserves = ops.stream().filter(o -> o.kind() == Op.Kind.RESERVE
                    && o.outcome() == Op.Outcome.UNKNOWN).count();
            long explained = Math.min(strangers, unknownReserves);
            f.explained += explained;
            if (strangers > explained) {
                f.unexpected += strangers - explained;
                f.problem(id + ": " + (strangers - explained) + " rows that no operation acknowledged");
            }
        }
    }

    /** The capacities that can have been in force during an interval, given the resizes. */
    private static final class Capacities {
        final long initial;
        final List<Op> resizes;

        Capacities(long initial, List<Op> resizes) {
            this.initial = initial;
            this.resizes = resizes;
        }

        long max(long from, long to) {
            return candidates(from, to).stream().mapToLong(Long::longValue).max().orElse(initial);
        }

        long min(long from, long to) {
            return candidates(from, to).stream().mapToLong(Long::longValue).min().orElse(initial);
        }

        private List<Long> candidates(long from, long to) {
            List<Long> candidates = new ArrayList<>();
            boolean initialSuperseded = resizes.stream()
                    .anyMatch(r -> r.outcome() == Op.Outcome.OK && r.completedMicros() < from);
            if (!initialSuperseded) {
                candidates.add(initial);
            }
            for (Op resize : resizes) {
                if (resize.invokedMicros() > to) {
                    continue;
                }
                boolean superseded = resizes.stream().anyMatch(later -> later.outcome() == Op.Outcome.OK
                        && later.invokedMicros() > resize.completedMicros() && later.completedMicros() < from);
                if (!superseded) {
                    candidates.add((long) resize.quantity());
                }
            }
            return candidates;
        }
    }

    /**
     * Sums of weights of points {@code (a, b, w)} with {@code a < A} and {@code b < B}, for many
     * queries at once: a sweep over {@code a} with a Fenwick tree over the ranks of {@code b}.
     */
    static final class DominanceSum {
        private final List<long[]> points = new ArrayList<>();

        void add(long a, long b, long weight) {
            points.add(new long[] {a, b, weight});
        }

        /** For each i, the sum over points with a < as[i] and (bs == null or b < bs[i]). */
        long[] sums(long[] as, long[] bs) {
            long[][] sorted = points.toArray(new long[0][]);
            Arrays.sort(sorted, (x, y) -> Long.compare(x[0], y[0]));
            long[] bValues = points.stream().mapToLong(p -> p[1]).sorted().distinct().toArray();
            long[] tree = new long[bValues.length + 1];
            Integer[] order = new Integer[as.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (x, y) -> Long.compare(as[x], as[y]));
            long[] result = new long[as.length];
            int next = 0;
            long total = 0;
            for (int q : order) {
                while (next < sorted.length && sorted[next][0] < as[q]) {
                    total += sorted[next][2];
                    for (int i = Arrays.binarySearch(bValues, sorted[next][1]) + 1; i < tree.length; i += i & -i) {
                        tree[i] += sorted[next][2];
                    }
                    next++;
                }
                if (bs == null) {
                    result[q] = total;
                } else {
                    int rank = lowerBound(bValues, bs[q]);
                    long sum = 0;
                    for (int i = rank; i > 0; i -= i & -i) {
                        sum += tree[i];
                    }
                    result[q] = sum;
                }
            }
            return result;
        }

        /** The number of values strictly below {@code key}. */
        private static int lowerBound(long[] values, long key) {
            int lo = 0;
            int hi = values.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (values[mid] < key) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    private static final class Findings {
        long oversold;
        long undersold;
        long ledger;
        long lost;
        long unexpected;
        long duplicateKeys;
        long errors;
        long stuck;
        long unknown;
        long explained;
        final List<String> problems = new ArrayList<>();

        void problem(String text) {
            if (problems.size() < MAX_PROBLEMS) {
                problems.add(text);
            }
        }
    }
}
