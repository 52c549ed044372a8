package dev.capacity.stress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
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
 *       {@code OutcomeUnknownException}; a hold whose expiry is not the race's clock plus its
 *       time to live (the strategy does not read the race's clock, and the checks of time
 *       below would mean nothing).</li>
 *   <li><b>late confirms</b>: a confirm answered CONFIRMED although the race's clock had reached
 *       the hold's expiry before the call began, or (from the rows) whose stamp is at or after
 *       the expiry.</li>
 *   <li><b>ended twice</b>: a hold whose answers need two ends: confirmed twice, confirmed and
 *       EXPIRED, released twice, released and EXPIRED, released true after it expired with no
 *       confirm before, confirmed after it was released, confirmed and then released false (as
 *       if expired), ALREADY_CONFIRMED with no confirm that can have taken effect (a confirm
 *       applied twice); from the rows, confirmed and ended by expiry, or released true and
 *       ended by expiry.</li>
 * </ul>
 * An answer that ended a hold before its expiry (EXPIRED, or a release false, with the clock
 * before the expiry throughout and nothing else to explain it), a row ended by expiry before its
 * expiry, and a confirm that took effect with no trace in the row (or a row confirmed by no
 * confirm) count as <b>lost</b>.
 *
 * <h2>Time and linearizability</h2>
 * Each call takes effect at one instant between its start and its end, and judges holds by one
 * reading of the race's clock ({@link RaceClock}), which never goes back and is read by the
 * client just before and just after the call: the reading lies in {@code [clockFrom, clockTo]}.
 * A hold counts against a decision if it is unconfirmed, unreleased and expires after the
 * decision's reading, or was confirmed first. So a hold <em>certainly</em> counts against a
 * grant if it was granted before the grant began, no release or end of it began before the
 * grant ended, and it expires after the grant's {@code clockTo} or was confirmed before the
 * grant began; and it certainly does <em>not</em> count against a refusal if it expired by the
 * refusal's {@code clockFrom} and no confirm of it began before the refusal ended (a confirm that
 * read the clock before the expiry may take effect after the refusal's reading). The oversold and
 * undersold checks sum those; the answers of one hold are judged by the same rules. A refusal
 * with room by its clock while holds that had expired were about is reported as an undersell
 * caused by expired holds: nothing else can have filled the room it saw. Wall-clock stamps are whole microseconds, and a fast call starts and ends within one:
 * a call is before another only if it ended at an earlier microsecond than the other began.
 * Every check is sound: a violation it reports is one no interleaving explains.
 *
 * <p>Beside the verdict the checker counts, for the reports, the holds that expired (neither
 * confirmed nor released before their expiry, by the end of the race) and the units reclaimed
 * from them: sold again after their holds expired, at least (every unit sold was free from the
 * start, came back from a release, or came back from an expired hold).
 *
 * <p>This class is stateless and threadsafe.
 */
public final class HistoryChecker {

    private static final int MAX_PROBLEMS = 25;
    private static final Set<String> EXPECTED_FAILURES = Set.of("StoreUnavailableException", "OutcomeUnknownException");
    private static final Set<String> RESULTS = Set.of("RESERVED", "REPLAYED", "INSUFFICIENT_CAPACITY",
            "UNKNOWN_RESOURCE", "IDEMPOTENCY_KEY_CONFLICT", "CONTENDED", "true", "false", "done", "CONFIRMED",
            "ALREADY_CONFIRMED", "EXPIRED", "RELEASED", "UNKNOWN_RESERVATION");

    private HistoryChecker() {}

    /**
     * What the check found; {@link #ok()} when every count of a violation is zero. {@code unknown},
     * {@code explainedByUnknown}, {@code expiredHolds} and {@code reclaimedUnits} are counts for
     * the reports, not violations.
     */
    public record Verdict(long oversold, long undersold, long ledger, long lost, long unexpected, long duplicateKeys,
                          long errors, long stuck, long lateConfirms, long endedTwice, long unknown,
                          long explainedByUnknown, long expiredHolds, long reclaimedUnits, List<String> problems) {

        public boolean ok() {
            return oversold == 0 && undersold == 0 && ledger == 0 && lost == 0 && unexpected == 0
                    && duplicateKeys == 0 && errors == 0 && stuck == 0 && lateConfirms == 0 && endedTwice == 0;
        }

        /** This verdict with threads that were still running at the race's deadline, described, first. */
        public Verdict withStuck(List<String> threads) {
            List<String> all = new ArrayList<>(threads);
            all.addAll(problems);
            return new Verdict(oversold, undersold, ledger, lost, unexpected, duplicateKeys, errors,
                    stuck + threads.size(), lateConfirms, endedTwice, unknown, explainedByUnknown, expiredHolds,
                    reclaimedUnits, List.copyOf(all));
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

    /** A reservation as the history knows it; its answers are summed up by {@link #settle()}. */
    private static final class Holding {
        final long id;
        String resourceId;
        int quantity;
        /** When the hold expires by the race's clock; 0 for a permanent reservation. */
        long expiresAt;
        long acknowledgedAt = Long.MAX_VALUE;
        Op reservedBy;
        final List<Op> releases = new ArrayList<>();
        final List<Op> confirms = new ArrayList<>();
        /**
         * When its units may have come back first: the earliest invocation of a release that may
         * have happened, or, for a hold, of a call that answered that it had expired.
         */
        long possiblyReleasedFrom = Long.MAX_VALUE;
        /** When a release certainly had taken effect: the earliest completion of one that returned true. */
        long certainlyReleasedAt = Long.MAX_VALUE;
        boolean possiblyReleased;
        boolean confirmed;
        /** Whether an answer says the hold became permanent: CONFIRMED or ALREADY_CONFIRMED. */
        boolean permanent;
        /** The earliest completion of a confirm answered CONFIRMED. */
        long confirmedAt = Long.MAX_VALUE;
        /** The earliest invocation of a confirm that may have taken effect (CONFIRMED, or unknown). */
        long possiblyConfirmedFrom = Long.MAX_VALUE;

        Holding(long id) {
            this.id = id;
        }

        boolean hold() {
            return expiresAt != 0;
        }

        void settle() {
            for (Op r : releases) {
                boolean mayHaveReleased = r.released() || r.outcome() == Op.Outcome.UNKNOWN;
                possiblyReleased |= mayHaveReleased;
                if (mayHaveReleased || hold() && r.answered(Op.Kind.RELEASE, "false")) {
                    possiblyReleasedFrom = Math.min(possiblyReleasedFrom, r.invokedMicros());
                }
                if (r.released()) {
                    certainlyReleasedAt = Math.min(certainlyReleasedAt, r.completedMicros());
                }
            }
            for (Op c : confirms) {
                boolean isConfirmed = c.answered(Op.Kind.CONFIRM, "CONFIRMED");
                confirmed |= isConfirmed;
                permanent |= isConfirmed || c.answered(Op.Kind.CONFIRM, "ALREADY_CONFIRMED");
                if (isConfirmed) {
                    confirmedAt = Math.min(confirmedAt, c.completedMicros());
                }
                if (isConfirmed || c.outcome() == Op.Outcome.UNKNOWN) {
                    possiblyConfirmedFrom = Math.min(possiblyConfirmedFrom, c.invokedMicros());
                }
                if (hold() && c.answered(Op.Kind.CONFIRM, "EXPIRED")) {
                    possiblyReleasedFrom = Math.min(possiblyReleasedFrom, c.invokedMicros());
                }
            }
        }

        /** Whether a confirm that may have taken effect began by {@code micros}. */
        boolean possiblyConfirmedBefore(long micros) {
            return possiblyConfirmedFrom <= micros;
        }

        /**
         * Whether the hold certainly does not count at a call that began with the clock at
         * {@code clockFrom} and ended at {@code endedMicros}: it had expired by the call's reading,
         * and no confirm that may have made it permanent began before the call ended.
         */
        boolean expiredThroughout(long clockFrom, long endedMicros) {
            return hold() && expiresAt <= clockFrom && !possiblyConfirmedBefore(endedMicros);
        }

        /** Whether the hold certainly counts at {@code grant}'s decision (see the class comment). */
        boolean countsAt(Op grant) {
            return acknowledgedAt < grant.invokedMicros() && possiblyReleasedFrom > grant.completedMicros()
                    && (!hold() || expiresAt > grant.clockTo() || confirmedAt < grant.invokedMicros());
        }
    }

    /**
     * A reservation that may count against a refusal: from when it may have been granted until it
     * was certainly released; for a hold, also its expiry, and what the history knows of it.
     */
    private record Possible(long from, long until, long quantity, long expiresAt, Holding holding) {

        boolean heldDuring(Unsold u) {
            return from <= u.last().completedMicros() && until >= u.first().invokedMicros();
        }

        boolean expiredThroughout(Unsold u) {
            return holding != null ? holding.expiredThroughout(u.first().clockFrom(), u.last().completedMicros())
                    : expiresAt != 0 && expiresAt <= u.first().clockFrom();
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
                h.expiresAt = Math.max(h.expiresAt, op.expiresAtMicros());
                h.acknowledgedAt = Math.min(h.acknowledgedAt, op.completedMicros());
                if ("RESERVED".equals(op.result()) && op.asksHold() && op.clockFrom() != 0
                        && (op.expiresAtMicros() - op.holdMicros() < op.clockFrom()
                                || op.expiresAtMicros() - op.holdMicros() > op.clockTo())) {
                    f.errors++;
                    f.problem("error: the hold expires at " + op.expiresAtMicros() + ", not at a reading of the race's clock"
                            + " (" + op.clockFrom() + " to " + op.clockTo() + ") plus its time to live: the strategy does"
                            + " not judge holds by the race's clock: " + op);
                }
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
            } else if (op.kind() == Op.Kind.CONFIRM && op.reservationId() != 0) {
                holdings.computeIfAbsent(op.reservationId(), Holding::new).confirms.add(op);
            }
        }
        for (Holding h : holdings.values()) {
            h.settle();
            checkAnswers(f, h);
            if (h.hold() && !h.permanent && h.certainlyReleasedAt == Long.MAX_VALUE
                    && h.expiresAt <= snapshot.clockMicros()) {
                f.expiredHolds++;
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
                for (Unsold u : givenUp(opsHere)) {
                    if (u.last().kind() == Op.Kind.RESERVE) {
                        unsold.add(u);
                    } else {
                        f.stuck++;
                        f.problem("stuck: gave up confirming hold " + u.last().reservationId() + " of " + id + " after "
                                + u.tries() + " tries without an answer: " + u.last());
                    }
                }
            }
            checkResource(f, id, resource.getValue(), state, opsHere, unsold, mine, holdings, snapshot);
        }
        return new Verdict(f.oversold, f.undersold, f.ledger, f.lost, f.unexpected, f.duplicateKeys, f.errors, f.stuck,
                f.lateConfirms, f.endedTwice, f.unknown, f.explained, f.expiredHolds, f.reclaimed, List.copyOf(f.problems));
    }

    /**
     * The answers about one hold against its life: live until confirmed, released or expired,
     * each call judging expiry by a reading within its {@code [clockFrom, clockTo]}, each taking
     * effect between its start and its end. Counts each hold at most once per kind of violation.
     */
    private static void checkAnswers(Findings f, Holding h) {
        List<Op> answers = new ArrayList<>(h.confirms);
        answers.addAll(h.releases);
        if (answers.stream().anyMatch(o -> o.answered(o.kind(), "UNKNOWN_RESERVATION"))) {
            f.lost++;
            f.problem(h.resourceId + ": reservation " + h.id + " was granted, but a confirm answered UNKNOWN_RESERVATION");
        }
        if (!h.hold()) {
            return;
        }
        String hold = h.resourceId + ": hold " + h.id + " (expires at " + h.expiresAt + ")";
        List<Op> confirmed = ofAnswer(h.confirms, Op.Kind.CONFIRM, "CONFIRMED");
        List<Op> expired = ofAnswer(h.confirms, Op.Kind.CONFIRM, "EXPIRED");
        List<Op> already = ofAnswer(h.confirms, Op.Kind.CONFIRM, "ALREADY_CONFIRMED");
        List<Op> released = ofAnswer(h.releases, Op.Kind.RELEASE, "true");
        List<Op> notReleased = ofAnswer(h.releases, Op.Kind.RELEASE, "false");

        for (Op c : confirmed) {
            if (h.expiresAt <= c.clockFrom()) {
                f.lateConfirm(h.id, hold + " confirmed at a clock reading of at least " + c.clockFrom() + ": " + c);
                break;
            }
        }

        String twice = null;
        if (confirmed.size() > 1) {
            twice = "confirmed twice: " + confirmed.get(0) + " and " + confirmed.get(1);
        } else if (!confirmed.isEmpty() && !expired.isEmpty()) {
            twice = "confirmed and expired: " + confirmed.get(0) + " and " + expired.get(0);
        } else if (released.size() > 1) {
            twice = "released twice: " + released.get(0) + " and " + released.get(1);
        } else if (!released.isEmpty() && !expired.isEmpty()) {
            twice = "released and expired: " + released.get(0) + " and " + expired.get(0);
        }
        for (Op r : released) {
            if (twice == null && h.expiresAt <= r.clockFrom() && !h.possiblyConfirmedBefore(r.completedMicros())) {
                twice = "released (true) after it expired, with no confirm before: " + r;
            }
            for (Op c : confirmed) {
                if (twice == null && r.completedMicros() < c.invokedMicros()) {
                    twice = "confirmed after it was released: " + r + " then " + c;
                }
            }
        }
        for (Op r : notReleased) {
            boolean releasedBefore = h.releases.stream().anyMatch(o -> o != r && o.invokedMicros() <= r.completedMicros()
                    && (o.released() || o.outcome() == Op.Outcome.UNKNOWN));
            if (releasedBefore) {
                continue;
            }
            if (!confirmed.isEmpty()) {
                if (twice == null) {
                    twice = "confirmed, and released false as if it had expired: " + confirmed.get(0) + " and " + r;
                }
            } else if (h.expiresAt > r.clockTo()) {
                f.lost++;
                f.problem(hold + " released false before its expiry, with no release before: " + r);
            }
        }
        for (Op x : expired) {
            if (h.expiresAt > x.clockTo()) {
                f.lost++;
                f.problem(hold + " answered EXPIRED before its expiry: " + x);
            }
        }
        for (Op a : already) {
            boolean confirmedBefore = h.confirms.stream().anyMatch(c -> c != a && c.invokedMicros() <= a.completedMicros()
                    && (c.answered(Op.Kind.CONFIRM, "CONFIRMED") || c.outcome() == Op.Outcome.UNKNOWN));
            if (twice == null && !confirmedBefore) {
                twice = "answered ALREADY_CONFIRMED with no confirm before that can have taken effect (a confirm"
                        + " applied twice): " + a;
            }
        }
        if (twice != null) {
            f.endedTwice(h.id, hold + " ended twice: " + twice);
        }
    }

    private static List<Op> ofAnswer(List<Op> ops, Op.Kind kind, String result) {
        return ops.stream().filter(o -> o.answered(kind, result)).toList();
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
                if (last && op.kind() != Op.Kind.RELEASE && "CONTENDED".equals(op.result())) {
                    givenUp.add(new Unsold(mine.get(first), op, i - first + 1));
                }
            }
        }
        return givenUp;
    }

    /**
     * Whether {@code b} is a retry of {@code a}: CONTENDED, then the same reserve again; or a
     * confirm without a definite answer, then the same confirm again.
     */
    private static boolean sameRequest(Op a, Op b) {
        if (a.kind() == Op.Kind.CONFIRM) {
            return b.kind() == Op.Kind.CONFIRM && a.outcome() != Op.Outcome.OK && a.reservationId() == b.reservationId();
        }
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
        boolean holds = mine.stream().anyMatch(Holding::hold) || snapshot.hasRows() && snapshot.rows().values().stream()
                .anyMatch(r -> id.equals(r.resourceId()) && (r.expiresAtMicros() != 0 || r.confirmedAtMicros() != 0));
        // units came back during the race: released, or (for all the checker knows) by expiry
        boolean released = holds || ops.stream().anyMatch(o -> o.released() || (o.kind() == Op.Kind.RELEASE
                && o.outcome() == Op.Outcome.UNKNOWN));

        // what is held at the end (live, by the race's clock), and the ledger
        long held;
        long unended;
        long clock = snapshot.clockMicros();
        if (snapshot.hasRows()) {
            List<Snapshot.Row> rows = snapshot.rows().values().stream().filter(r -> id.equals(r.resourceId())).toList();
            held = rows.stream().filter(r -> r.liveAt(clock)).mapToLong(Snapshot.Row::quantity).sum();
            // a counter keeps the units of an expired hold until something ends it
            unended = rows.stream().filter(r -> !r.released()).mapToLong(Snapshot.Row::quantity).sum();
        } else {
            held = mine.stream().filter(h -> h.certainlyReleasedAt == Long.MAX_VALUE
                    && (!h.hold() || h.permanent || h.expiresAt > clock)).mapToLong(h -> h.quantity).sum();
            unended = held;
        }
        if (state.counter() != unended) {
            f.ledger++;
            f.problem(id + ": counter " + state.counter() + " but the unreleased reservations add up to " + unended);
        }
        if (!resized && held > state.capacity()) {
            f.oversold = Math.max(f.oversold, held - state.capacity());
            f.problem(id + ": " + held + " units held at the end, capacity " + state.capacity());
        }

        // grants: the units certainly held by others while each ran (the permanent ones summed at
        // once, the holds one by one)
        List<Op> grants = ops.stream().filter(o -> o.granted() && "RESERVED".equals(o.result())).toList();
        List<Holding> holdsHere = mine.stream().filter(Holding::hold).toList();
        DominanceSum certainlyHeld = new DominanceSum();
        for (Holding h : mine) {
            if (h.acknowledgedAt != Long.MAX_VALUE && !h.hold()) {
                certainlyHeld.add(h.acknowledgedAt, h.possiblyReleasedFrom, h.quantity);
            }
        }
        long[] heldBefore = certainlyHeld.sums(grants.stream().mapToLong(Op::invokedMicros).toArray(), null);
        long[] releasedMeanwhile = certainlyHeld.sums(grants.stream().mapToLong(Op::invokedMicros).toArray(),
                grants.stream().mapToLong(o -> o.completedMicros() + 1).toArray());
        long[] holdsCounted = holdsCounted(grants, holdsHere, holdings);
        for (int i = 0; i < grants.size(); i++) {
            Op grant = grants.get(i);
            Holding own = holdings.get(grant.reservationId());
            long ownEarlier = !own.hold() && own.acknowledgedAt < grant.invokedMicros()
                    && own.possiblyReleasedFrom > grant.completedMicros() ? own.quantity : 0;
            long others = heldBefore[i] - releasedMeanwhile[i] - ownEarlier + holdsCounted[i];
            long max = capacities.max(grant.invokedMicros(), grant.completedMicros());
            if (others + grant.quantity() > max) {
                f.oversold = Math.max(f.oversold, others + grant.quantity() - max);
                f.problem(id + ": granted " + grant.quantity() + " while " + others + " were certainly held of at most "
                        + max + ": " + grant);
            }
        }
        if (!resized) {
            // every unit sold came fresh, back from a release, or back from an expired hold
            long sold = grants.stream().mapToLong(Op::quantity).sum();
            long releasedUnits = mine.stream().filter(h -> h.possiblyReleased).mapToLong(h -> h.quantity).sum();
            f.reclaimed += Math.max(0, sold - initialCapacity - releasedUnits);
        }

        // refusals and requests given up: the units possibly held while each ran, and at the end
        if (!unsold.isEmpty()) {
            DominanceSum possiblyHeld = new DominanceSum();
            List<Possible> possibleHolds = new ArrayList<>();
            if (snapshot.hasRows()) {
                for (Snapshot.Row row : snapshot.rows().values()) {
                    if (id.equals(row.resourceId())) {
                        Holding h = holdings.get(row.id());
                        long from = h == null || h.reservedBy == null ? Long.MIN_VALUE : h.reservedBy.invokedMicros();
                        long until = h == null ? Long.MAX_VALUE : h.certainlyReleasedAt;
                        if (h != null && h.hold()) {
                            possibleHolds.add(new Possible(from, until, row.quantity(), h.expiresAt, h));
                        } else if (h == null && row.expiresAtMicros() != 0) {
                            possibleHolds.add(new Possible(from, until, row.quantity(), row.expiresAtMicros(), null));
                        } else {
                            possiblyHeld.add(from, until, row.quantity());
                        }
                    }
                }
            } else {
                for (Holding h : mine) {
                    long from = h.reservedBy == null ? Long.MIN_VALUE : h.reservedBy.invokedMicros();
                    if (h.hold()) {
                        possibleHolds.add(new Possible(from, h.certainlyReleasedAt, h.quantity, h.expiresAt, h));
                    } else {
                        possiblyHeld.add(from, h.certainlyReleasedAt, h.quantity);
                    }
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
                long expired = 0;
                for (Possible p : possibleHolds) {
                    if (p.heldDuring(u)) {
                        if (p.expiredThroughout(u)) {
                            expired += p.quantity();
                        } else {
                            possibly += p.quantity();
                        }
                    }
                }
                long min = capacities.min(u.first().invokedMicros(), u.last().completedMicros());
                // beyond what was possibly held, only expired holds can have been counted against it
                String why = min - possibly >= quantity ? "while at most " + possibly + " of at least " + min
                        + " were held" + (expired > 0 ? ", not counting holds that had expired by its clock (at least "
                        + u.first().clockFrom() + ")" : "")
                        : freeAtEnd >= quantity ? "with " + freeAtEnd + " still free at the end" : null;
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
                } else if (row.released() && !row.expired() && !h.possiblyReleased) {
                    f.lost++;
                    f.problem(id + ": reservation " + h.id + " is released, but no release of it ran");
                } else if (!row.released() && h.certainlyReleasedAt != Long.MAX_VALUE) {
                    f.lost++;
                    f.problem(id + ": release of " + h.id + " returned true, but its row is not released");
                } else {
                    checkHoldRow(f, id, h, row);
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

    /**
     * For each grant, the units of the other holds that certainly count at it: a sweep in the
     * order the grants began, over the holds granted before, less those that may have ended by
     * then (they count at no later grant either).
     */
    private static long[] holdsCounted(List<Op> grants, List<Holding> holds, Map<Long, Holding> holdings) {
        List<Holding> byGrant = holds.stream().filter(h -> h.acknowledgedAt != Long.MAX_VALUE)
                .sorted(Comparator.comparingLong(h -> h.acknowledgedAt)).toList();
        Integer[] order = new Integer[grants.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong(i -> grants.get(i).invokedMicros()));
        PriorityQueue<Holding> active = new PriorityQueue<>(Comparator.comparingLong(h -> h.possiblyReleasedFrom));
        long[] counted = new long[grants.size()];
        int next = 0;
        for (int i : order) {
            Op grant = grants.get(i);
            while (next < byGrant.size() && byGrant.get(next).acknowledgedAt < grant.invokedMicros()) {
                active.add(byGrant.get(next++));
            }
            while (!active.isEmpty() && active.peek().possiblyReleasedFrom <= grant.invokedMicros()) {
                active.poll();
            }
            Holding own = holdings.get(grant.reservationId());
            for (Holding h : active) {
                if (h != own && h.countsAt(grant)) {
                    counted[i] += h.quantity;
                }
            }
        }
        return counted;
    }

    /** A hold's row against its answers: how it ended, and when, by the stamps the strategy wrote. */
    private static void checkHoldRow(Findings f, String id, Holding h, Snapshot.Row row) {
        String reservation = id + ": reservation " + h.id;
        if (row.expired() && row.confirmedAtMicros() != 0) {
            f.endedTwice(h.id, reservation + " ended twice: its row is confirmed (at " + row.confirmedAtMicros()
                    + ") and ended by expiry (at " + row.endedAtMicros() + ")");
        } else if (row.expired() && h.certainlyReleasedAt != Long.MAX_VALUE) {
            f.endedTwice(h.id, reservation + " ended twice: a release returned true, but its row ended by expiry (at "
                    + row.endedAtMicros() + ")");
        }
        if (row.expired() && row.endedAtMicros() < row.expiresAtMicros()) {
            f.lost++;
            f.problem(reservation + " ended by expiry at " + row.endedAtMicros() + ", before its expiry at "
                    + row.expiresAtMicros());
        }
        if (h.confirmed && row.confirmedAtMicros() == 0) {
            f.lost++;
            f.problem(reservation + ": a confirm answered CONFIRMED, but its row is not confirmed");
        }
        if (row.confirmedAtMicros() != 0 && !h.possiblyConfirmedBefore(Long.MAX_VALUE)) {
            f.lost++;
            f.problem(reservation + " is confirmed in its row, but no confirm of it can have taken effect");
        }
        if (row.confirmedAtMicros() != 0 && h.hold() && row.confirmedAtMicros() >= h.expiresAt) {
            f.lateConfirm(h.id, reservation + " was confirmed at " + row.confirmedAtMicros() + " by its row, at or after"
                    + " its expiry at " + h.expiresAt);
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
        long lateConfirms;
        long endedTwice;
        long unknown;
        long explained;
        long expiredHolds;
        long reclaimed;
        final List<String> problems = new ArrayList<>();
        private final Set<Long> confirmedLate = new HashSet<>();
        private final Set<Long> endedTwiceIds = new HashSet<>();

        void problem(String text) {
            if (problems.size() < MAX_PROBLEMS) {
                problems.add(text);
            }
        }

        /** A late confirm of hold {@code id}, counted once per hold. */
        void lateConfirm(long id, String text) {
            if (confirmedLate.add(id)) {
                lateConfirms++;
                problem("late confirm: " + text);
            }
        }

        /** Hold {@code id} ended twice, counted once per hold. */
        void endedTwice(long id, String text) {
            if (endedTwiceIds.add(id)) {
                endedTwice++;
                problem(text);
            }
        }
    }
}
