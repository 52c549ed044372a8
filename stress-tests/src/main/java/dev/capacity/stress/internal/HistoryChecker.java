package dev.capacity.stress.internal;

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
 * <h2>Orders and per-holder limits</h2>
 * An order ({@link Op.Kind#ORDER}, one operation per line) counts like its lines: a granted
 * order's lines on a resource are one grant of their units together, judged for oversold as any
 * grant; a refused order is judged on the resource its refusal names ({@code failedLine}), for
 * the units of all its lines there (or its holder's lines there, for a limit), as a refusal of
 * that many units; an order a client gave up on is undersold only if every part of it had room.
 * <ul>
 *   <li><b>half orders</b>, in orders: a granted order without one reservation per line (a line
 *       without one, or two lines with one), or (from the rows) a line whose row is missing or
 *       is for another resource, holder or quantity; a refused order whose line's row is there (a
 *       row no operation acknowledged, of that line's resource, holder, quantity and key, which no
 *       call of unknown outcome asked for); an order of unknown outcome with rows for some lines
 *       and none for others (judged only where no other call of unknown outcome asked for the
 *       same lines).</li>
 *   <li><b>over the holder limit</b>, in units beyond the limit, the worst seen: on a resource with
 *       a per-holder limit, a grant whose units for a holder, plus the holder's units that
 *       certainly count at its decision (by the rules of oversold) exceed the limit; or the
 *       holder's units certainly live at the instant the grant returned (granted before it ended,
 *       its own included, no end of them begun by then, not expired by its {@code clockTo} or
 *       confirmed before it ended) exceed it; or, at the end, the holder's live units do.</li>
 *   <li><b>holder undersold</b>, in requests: a request (or an order's holder's part) refused
 *       HOLDER_LIMIT_REACHED while, at every moment of the refusal, the limit less the units the
 *       holder <em>possibly</em> had live (by the rules of undersold) left room for it, or, where
 *       nothing was released, with that room still left at the end; or any such refusal on a
 *       resource without a limit.</li>
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
            "ALREADY_CONFIRMED", "EXPIRED", "RELEASED", "UNKNOWN_RESERVATION", "HOLDER_LIMIT_REACHED");

    private HistoryChecker() {}

    /**
     * What the check found; {@link #ok()} when every count of a violation is zero. {@code unknown},
     * {@code explainedByUnknown}, {@code expiredHolds} and {@code reclaimedUnits} are counts for
     * the reports, not violations.
     */
    public record Verdict(long oversold, long undersold, long ledger, long lost, long unexpected, long duplicateKeys,
                          long errors, long stuck, long lateConfirms, long endedTwice, long halfOrders,
                          long overHolderLimit, long holderUndersold, long unknown, long explainedByUnknown,
                          long expiredHolds, long reclaimedUnits, List<String> problems) {

        public boolean ok() {
            return oversold == 0 && undersold == 0 && ledger == 0 && lost == 0 && unexpected == 0
                    && duplicateKeys == 0 && errors == 0 && stuck == 0 && lateConfirms == 0 && endedTwice == 0
                    && halfOrders == 0 && overHolderLimit == 0 && holderUndersold == 0;
        }

        /** This verdict with threads that were still running at the race's deadline, described, first. */
        public Verdict withStuck(List<String> threads) {
            List<String> all = new ArrayList<>(threads);
            all.addAll(problems);
            return new Verdict(oversold, undersold, ledger, lost, unexpected, duplicateKeys, errors,
                    stuck + threads.size(), lateConfirms, endedTwice, halfOrders, overHolderLimit, holderUndersold,
                    unknown, explainedByUnknown, expiredHolds, reclaimedUnits, List.copyOf(all));
        }
    }

    /**
     * A request that ended without units, judged on one resource: a refusal (one operation,
     * {@code first == last}), or the {@code tries} of a request a client gave up on, every one
     * answered CONTENDED. For an order, the operations are lines of it on the resource judged.
     *
     * @param units the units judged: the request's, or the order's lines' on the resource (the
     *     holder's lines', for a limit)
     * @param holder null to judge against the capacity; otherwise the holder whose limit refused it
     * @param lines 0 for a single request; the lines of the order otherwise
     */
    private record Unsold(Op first, Op last, int tries, long units, String holder, int lines) {

        /** A single request, judged against the capacity for its quantity. */
        Unsold(Op first, Op last, int tries) {
            this(first, last, tries, last.quantity(), null, 0);
        }

        boolean gaveUp() {
            return "CONTENDED".equals(last.result());
        }

        boolean order() {
            return lines > 0;
        }

        String gaveUpAfter() {
            return String.format(Locale.ROOT, "%s (process %d, thread %d) gave up after %.1f s of retries (%d CONTENDED"
                    + " answer%s)", last.holderId(), last.process(), last.thread(),
                    (last.completedMicros() - first.invokedMicros()) / 1e6, tries, tries == 1 ? "" : "s");
        }

        /** "2 units of r", and for an order which part of it. */
        String units(String id) {
            return units + (units == 1 ? " unit of " : " units of ") + id + (order() ? " (the part of an order of "
                    + lines + " lines that its refusal named)" : "");
        }
    }

    /** A reservation as the history knows it; its answers are summed up by {@link #settle()}. */
    private static final class Holding {
        final long id;
        String resourceId;
        String holderId = "";
        int quantity;
        /** Whether an order's line granted or replayed it. */
        boolean orderLine;
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

    /** Checks a race without faults or limits: see {@link #check(List, Snapshot, Map, Map, boolean)}. */
    public static Verdict check(List<Op> ops, Snapshot snapshot, Map<String, Long> initialCapacities) {
        return check(ops, snapshot, initialCapacities, Map.of(), false);
    }

    /** Checks a race without limits: see {@link #check(List, Snapshot, Map, Map, boolean)}. */
    public static Verdict check(List<Op> ops, Snapshot snapshot, Map<String, Long> initialCapacities,
                                boolean underFaults) {
        return check(ops, snapshot, initialCapacities, Map.of(), underFaults);
    }

    /**
     * @param initialCapacities the capacity each resource had when the race started
     * @param limits the per-holder limit of each resource that had one, set before the race and
     *     unchanged during it
     * @param underFaults whether faults were injected: then CONTENDED is an answer the design
     *     allows for as long as they last, and a request a client gave up on is not judged
     */
    public static Verdict check(List<Op> ops, Snapshot snapshot, Map<String, Long> initialCapacities,
                                Map<String, Long> limits, boolean underFaults) {
        Findings f = new Findings();
        Map<Long, Holding> holdings = new LinkedHashMap<>();
        Map<String, Set<Long>> idsByKey = new HashMap<>();
        Map<String, List<Op>> byResource = new HashMap<>();
        Map<Long, List<Op>> orders = new LinkedHashMap<>();
        for (Op op : ops) {
            byResource.computeIfAbsent(op.resourceId(), k -> new ArrayList<>()).add(op);
            if (op.kind() == Op.Kind.ORDER) {
                orders.computeIfAbsent(op.orderId(), k -> new ArrayList<>()).add(op);
            }
            // an order's answer is counted once, on its first line
            boolean counted = op.kind() != Op.Kind.ORDER || op.firstLine();
            if (counted && !RESULTS.contains(op.result()) && !EXPECTED_FAILURES.contains(op.result())) {
                f.errors++;
                f.problem("error: " + op);
            }
            if (counted && op.outcome() == Op.Outcome.UNKNOWN) {
                f.unknown++;
            }
            if (op.granted()) {
                Holding h = holdings.computeIfAbsent(op.reservationId(), Holding::new);
                h.resourceId = op.resourceId();
                h.holderId = op.holderId();
                h.quantity = op.quantity();
                h.orderLine |= op.kind() == Op.Kind.ORDER;
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
        orders.values().forEach(lines -> lines.sort(Comparator.comparingInt(Op::line)));
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
        Set<Long> halfOrderRows = checkOrders(f, ops, orders, holdings, snapshot);

        // the requests given up on, and the orders refused, by the resource each is judged on
        Map<String, List<Unsold>> unsoldByResource = new HashMap<>();
        List<OrderGivenUp> ordersGivenUp = underFaults ? List.of() : ordersGivenUp(orders);
        for (List<Op> lines : orders.values()) {
            Op first = lines.get(0);
            boolean refusedForRoom = "INSUFFICIENT_CAPACITY".equals(first.result());
            if (!refusedForRoom && !"HOLDER_LIMIT_REACHED".equals(first.result())) {
                continue;
            }
            int named = first.failedLine();
            if (named < 0 || named >= lines.size()) {
                f.errors++;
                f.problem("error: an order of " + lines.size() + " lines refused " + first.result() + " names line "
                        + named + ": " + first);
                continue;
            }
            Op line = lines.get(named);
            List<Op> part = lines.stream().filter(o -> o.resourceId().equals(line.resourceId())
                    && (refusedForRoom || o.holderId().equals(line.holderId()))).toList();
            unsoldByResource.computeIfAbsent(line.resourceId(), k -> new ArrayList<>()).add(new Unsold(line, line, 1,
                    part.stream().mapToLong(Op::quantity).sum(), refusedForRoom ? null : line.holderId(), lines.size()));
        }
        for (OrderGivenUp g : ordersGivenUp) {
            for (int i = 0; i < g.last().size(); i++) {
                Op line = g.last().get(i);
                boolean firstOfPart = g.last().subList(0, i).stream().noneMatch(o -> o.resourceId().equals(line.resourceId()));
                List<Unsold> here = unsoldByResource.computeIfAbsent(line.resourceId(), k -> new ArrayList<>());
                Op start = g.first().get(i);
                if (firstOfPart) {
                    here.add(new Unsold(start, line, g.tries(), g.units(line.resourceId(), null), null, g.last().size()));
                }
                boolean firstOfHolder = g.last().subList(0, i).stream().noneMatch(o -> o.resourceId().equals(line.resourceId())
                        && o.holderId().equals(line.holderId()));
                if (firstOfHolder && limits.containsKey(line.resourceId())) {
                    here.add(new Unsold(start, line, g.tries(), g.units(line.resourceId(), line.holderId()), line.holderId(),
                            g.last().size()));
                }
            }
        }
        Map<Op, Boolean> orderRoom = new HashMap<>();
        ordersGivenUp.forEach(g -> orderRoom.put(g.last().get(0), true));

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
            opsHere.stream().filter(o -> o.kind() == Op.Kind.RESERVE && o.holderLimited())
                    .forEach(o -> unsold.add(new Unsold(o, o, 1, o.quantity(), o.holderId(), 0)));
            unsold.addAll(unsoldByResource.getOrDefault(id, List.of()));
            if (!underFaults) {
                // an order's tries are judged above, across its resources
                for (Unsold u : givenUp(opsHere.stream().filter(o -> o.kind() != Op.Kind.ORDER).toList())) {
                    if (u.last().kind() == Op.Kind.RESERVE) {
                        unsold.add(u);
                    } else {
                        f.stuck++;
                        f.problem("stuck: gave up confirming hold " + u.last().reservationId() + " of " + id + " after "
                                + u.tries() + " tries without an answer: " + u.last());
                    }
                }
            }
            checkResource(f, id, resource.getValue(), limits.getOrDefault(id, Long.MAX_VALUE), state, opsHere, unsold,
                    mine, holdings, snapshot, orderRoom, halfOrderRows, ops);
        }
        for (OrderGivenUp g : ordersGivenUp) {
            Op last = g.last().get(0);
            String after = String.format(Locale.ROOT, "%s (process %d, thread %d) gave up after %.1f s of retries (%d"
                    + " CONTENDED answer%s)", last.holderId(), last.process(), last.thread(),
                    (last.completedMicros() - g.first().get(0).invokedMicros()) / 1e6, g.tries(), g.tries() == 1 ? "" : "s");
            f.stuck++;
            if (orderRoom.get(last)) {
                f.undersold++;
                f.problem("undersold: an order of " + g.last().size() + " lines never sold: " + after + " while every"
                        + " resource (and holder) of it had room throughout: " + g.last());
            } else {
                f.problem("stuck: " + after + " on an order of " + g.last().size() + " lines: " + g.last());
            }
        }
        return new Verdict(f.oversold, f.undersold, f.ledger, f.lost, f.unexpected, f.duplicateKeys, f.errors, f.stuck,
                f.lateConfirms, f.endedTwice, f.halfOrders, f.overHolderLimit, f.holderUndersold, f.unknown, f.explained,
                f.expiredHolds, f.reclaimed, List.copyOf(f.problems));
    }

    /** An order a client gave up on: the lines of its first and last tries, every one answered CONTENDED. */
    private record OrderGivenUp(List<Op> first, List<Op> last, int tries) {

        /** The units of its lines on {@code resourceId} (of {@code holder} only, unless null). */
        long units(String resourceId, String holder) {
            return last.stream().filter(o -> o.resourceId().equals(resourceId) && (holder == null
                    || o.holderId().equals(holder))).mapToLong(Op::quantity).sum();
        }
    }

    /**
     * The orders clients gave up on: a client retries a CONTENDED order at once, so its tries of
     * one order are consecutive among its thread's order calls, with the same lines; the order was
     * given up if the last try is CONTENDED.
     */
    private static List<OrderGivenUp> ordersGivenUp(Map<Long, List<Op>> orders) {
        Map<List<Integer>, List<List<Op>>> byThread = new LinkedHashMap<>();
        for (List<Op> lines : orders.values()) {
            Op first = lines.get(0);
            byThread.computeIfAbsent(List.of(first.process(), first.thread()), k -> new ArrayList<>()).add(lines);
        }
        List<OrderGivenUp> givenUp = new ArrayList<>();
        for (List<List<Op>> calls : byThread.values()) {
            calls.sort(Comparator.comparingLong((List<Op> c) -> c.get(0).invokedMicros()).thenComparingLong(c -> c.get(0).orderId()));
            int first = 0;
            for (int i = 0; i < calls.size(); i++) {
                if (i > 0 && !(contended(calls.get(i - 1)) && sameLines(calls.get(i - 1), calls.get(i)))) {
                    first = i;
                }
                boolean last = i + 1 == calls.size() || !(contended(calls.get(i)) && sameLines(calls.get(i), calls.get(i + 1)));
                if (last && contended(calls.get(i))) {
                    givenUp.add(new OrderGivenUp(calls.get(first), calls.get(i), i - first + 1));
                }
            }
        }
        return givenUp;
    }

    private static boolean contended(List<Op> order) {
        return "CONTENDED".equals(order.get(0).result());
    }

    private static boolean sameLines(List<Op> a, List<Op> b) {
        return a.stream().map(HistoryChecker::signature).toList().equals(b.stream().map(HistoryChecker::signature).toList());
    }

    /** What a reservation row records of the request that made it: resource, holder, quantity and key. */
    private static String signature(Op op) {
        return signature(op.resourceId(), op.holderId(), op.quantity(), op.key());
    }

    private static String signature(String resourceId, String holderId, int quantity, String key) {
        return resourceId + '\u0000' + holderId + '\u0000' + quantity + '\u0000' + key;
    }

    /**
     * Every order is whole: granted with one reservation per line, each line's row there as asked;
     * refused without a row; of unknown outcome, with rows for all lines or none. Returns the rows
     * blamed on refused orders (no longer counted as unexpected).
     */
    private static Set<Long> checkOrders(Findings f, List<Op> ops, Map<Long, List<Op>> orders, Map<Long, Holding> holdings,
                                         Snapshot snapshot) {
        Set<Long> blamed = new HashSet<>();
        // rows no answer acknowledged, by what they record; and how many lines of unknown outcome asked for each
        Map<String, List<Snapshot.Row>> strangers = new HashMap<>();
        if (snapshot.hasRows()) {
            for (Snapshot.Row row : snapshot.rows().values()) {
                if (!holdings.containsKey(row.id())) {
                    strangers.computeIfAbsent(signature(row.resourceId(), row.holderId(), row.quantity(), row.key()),
                            k -> new ArrayList<>()).add(row);
                }
            }
        }
        Map<String, Integer> unknownLines = new HashMap<>();
        ops.stream().filter(o -> o.asksUnits() && o.outcome() == Op.Outcome.UNKNOWN)
                .forEach(o -> unknownLines.merge(signature(o), 1, Integer::sum));
        for (List<Op> lines : orders.values()) {
            Op first = lines.get(0);
            String order = "half order: order " + first.orderId() + " (" + lines.size() + " lines, process " + first.process()
                    + ", thread " + first.thread() + ") ";
            if (first.granted()) {
                String broken = null;
                Set<Long> ids = new HashSet<>();
                for (Op line : lines) {
                    if (line.reservationId() == 0 || !ids.add(line.reservationId())) {
                        broken = "answered " + first.result() + " without a reservation of its own for line " + line.line()
                                + ": " + lines;
                        break;
                    }
                    Snapshot.Row row = snapshot.hasRows() ? snapshot.rows().get(line.reservationId()) : null;
                    if (snapshot.hasRows() && (row == null || !row.resourceId().equals(line.resourceId())
                            || !row.holderId().equals(line.holderId()) || row.quantity() != line.quantity())) {
                        broken = "answered " + first.result() + ", but line " + line.line() + "'s reservation "
                                + line.reservationId() + " has row " + row + ": " + line;
                        break;
                    }
                }
                if (broken != null) {
                    f.halfOrder(order + broken);
                }
            } else if (first.outcome() != Op.Outcome.UNKNOWN && snapshot.hasRows()) {
                List<String> left = new ArrayList<>();
                for (Op line : lines) {
                    String signature = signature(line);
                    if (unknownLines.containsKey(signature)) {
                        continue;
                    }
                    for (Snapshot.Row row : strangers.getOrDefault(signature, List.of())) {
                        if (blamed.add(row.id())) {
                            left.add("row " + row.id() + " for line " + line.line() + (row.released() ? " (released)" : ""));
                        }
                    }
                }
                if (!left.isEmpty()) {
                    f.halfOrder(order + "answered " + first.result() + ", yet left " + String.join(", ", left) + ": "
                            + lines);
                }
            } else if (snapshot.hasRows()) {
                // of unknown outcome: judged where no other call of unknown outcome asked for these lines
                Map<String, Integer> asked = new HashMap<>();
                lines.forEach(line -> asked.merge(signature(line), 1, Integer::sum));
                if (asked.entrySet().stream().allMatch(e -> unknownLines.get(e.getKey()).equals(e.getValue()))) {
                    List<Integer> with = new ArrayList<>();
                    List<Integer> without = new ArrayList<>();
                    Map<String, Integer> seen = new HashMap<>();
                    for (Op line : lines) {
                        int n = seen.merge(signature(line), 1, Integer::sum);
                        (strangers.getOrDefault(signature(line), List.of()).size() >= n ? with : without).add(line.line());
                    }
                    if (!with.isEmpty() && !without.isEmpty()) {
                        f.halfOrder(order + "of unknown outcome has rows for lines " + with + " but none for lines "
                                + without + ": " + lines);
                    }
                }
            }
        }
        return blamed;
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

    /** A grant on one resource by one call: a reserve, or the lines of an order on the resource. */
    private record Grant(Op op, long units, Set<Long> ids, Map<String, Long> byHolder) {}

    /** The grants (RESERVED) among the operations of one resource, an order's lines on it as one. */
    private static List<Grant> grants(List<Op> ops) {
        List<Grant> grants = new ArrayList<>();
        Map<Long, List<Op>> orderLines = new LinkedHashMap<>();
        for (Op op : ops) {
            if (!op.granted() || !"RESERVED".equals(op.result())) {
                continue;
            }
            if (op.kind() == Op.Kind.ORDER) {
                orderLines.computeIfAbsent(op.orderId(), k -> new ArrayList<>()).add(op);
            } else {
                grants.add(new Grant(op, op.quantity(), Set.of(op.reservationId()), Map.of(op.holderId(), (long) op.quantity())));
            }
        }
        for (List<Op> lines : orderLines.values()) {
            Set<Long> ids = new HashSet<>();
            Map<String, Long> byHolder = new HashMap<>();
            lines.forEach(o -> {
                ids.add(o.reservationId());
                byHolder.merge(o.holderId(), (long) o.quantity(), Long::sum);
            });
            grants.add(new Grant(lines.get(0), lines.stream().mapToLong(Op::quantity).sum(), ids, byHolder));
        }
        return grants;
    }

    private static void checkResource(Findings f, String id, long initialCapacity, long limit,
                                      Snapshot.ResourceState state, List<Op> ops, List<Unsold> unsold, List<Holding> mine,
                                      Map<Long, Holding> holdings, Snapshot snapshot, Map<Op, Boolean> orderRoom,
                                      Set<Long> halfOrderRows, List<Op> allOps) {
        Capacities capacities = new Capacities(initialCapacity,
                ops.stream().filter(o -> o.kind() == Op.Kind.RESIZE && o.outcome() != Op.Outcome.FAIL).toList());
        boolean resized = !capacities.resizes.isEmpty();
        boolean holds = mine.stream().anyMatch(Holding::hold) || snapshot.hasRows() && snapshot.rows().values().stream()
                .anyMatch(r -> id.equals(r.resourceId()) && (r.expiresAtMicros() != 0 || r.confirmedAtMicros() != 0));
        // units came back during the race: released, or (for all the checker knows) by expiry
        boolean released = holds || ops.stream().anyMatch(o -> o.released() || (o.kind() == Op.Kind.RELEASE
                && o.outcome() == Op.Outcome.UNKNOWN));
        boolean limited = limit != Long.MAX_VALUE;

        // what is held at the end (live, by the race's clock), and the ledger
        long held;
        long unended;
        long clock = snapshot.clockMicros();
        // each holder's units live at the end, certainly
        Map<String, Long> heldByHolder = new HashMap<>();
        if (snapshot.hasRows()) {
            List<Snapshot.Row> rows = snapshot.rows().values().stream().filter(r -> id.equals(r.resourceId())).toList();
            held = rows.stream().filter(r -> r.liveAt(clock)).mapToLong(Snapshot.Row::quantity).sum();
            // a counter keeps the units of an expired hold until something ends it
            unended = rows.stream().filter(r -> !r.released()).mapToLong(Snapshot.Row::quantity).sum();
            rows.stream().filter(r -> r.liveAt(clock)).forEach(r -> heldByHolder.merge(r.holderId(), (long) r.quantity(),
                    Long::sum));
        } else {
            held = mine.stream().filter(h -> h.certainlyReleasedAt == Long.MAX_VALUE
                    && (!h.hold() || h.permanent || h.expiresAt > clock)).mapToLong(h -> h.quantity).sum();
            unended = held;
            // no call that may have ended it, and not expired
            mine.stream().filter(h -> h.acknowledgedAt != Long.MAX_VALUE && h.possiblyReleasedFrom == Long.MAX_VALUE
                    && (!h.hold() || h.permanent || h.expiresAt > clock))
                    .forEach(h -> heldByHolder.merge(h.holderId, (long) h.quantity, Long::sum));
        }
        if (state.counter() != unended) {
            f.ledger++;
            f.problem(id + ": counter " + state.counter() + " but the unreleased reservations add up to " + unended);
        }
        if (!resized && held > state.capacity()) {
            f.oversold = Math.max(f.oversold, held - state.capacity());
            f.problem(id + ": " + held + " units held at the end, capacity " + state.capacity());
        }
        if (limited) {
            heldByHolder.forEach((holder, units) -> {
                if (units > limit) {
                    f.overHolderLimit(units - limit, "over the holder limit: " + holder + " has " + units + " units of " + id
                            + " live at the end, limited to " + limit);
                }
            });
        }

        // grants: the units certainly held by others while each ran (the permanent ones summed at
        // once, the holds one by one)
        List<Grant> grants = grants(ops);
        List<Holding> holdsHere = mine.stream().filter(Holding::hold).toList();
        DominanceSum certainlyHeld = new DominanceSum();
        for (Holding h : mine) {
            if (h.acknowledgedAt != Long.MAX_VALUE && !h.hold()) {
                certainlyHeld.add(h.acknowledgedAt, h.possiblyReleasedFrom, h.quantity);
            }
        }
        long[] heldBefore = certainlyHeld.sums(grants.stream().mapToLong(g -> g.op().invokedMicros()).toArray(), null);
        long[] releasedMeanwhile = certainlyHeld.sums(grants.stream().mapToLong(g -> g.op().invokedMicros()).toArray(),
                grants.stream().mapToLong(g -> g.op().completedMicros() + 1).toArray());
        long[] holdsCounted = holdsCounted(grants, holdsHere);
        Map<String, List<Holding>> mineByHolder = new HashMap<>();
        if (limited) {
            mine.stream().filter(h -> h.acknowledgedAt != Long.MAX_VALUE)
                    .forEach(h -> mineByHolder.computeIfAbsent(h.holderId, k -> new ArrayList<>()).add(h));
        }
        for (int i = 0; i < grants.size(); i++) {
            Grant grant = grants.get(i);
            Op op = grant.op();
            long ownEarlier = 0;
            for (long own : grant.ids()) {
                Holding h = holdings.get(own);
                if (!h.hold() && h.acknowledgedAt < op.invokedMicros() && h.possiblyReleasedFrom > op.completedMicros()) {
                    ownEarlier += h.quantity;
                }
            }
            long others = heldBefore[i] - releasedMeanwhile[i] - ownEarlier + holdsCounted[i];
            long max = capacities.max(op.invokedMicros(), op.completedMicros());
            if (others + grant.units() > max) {
                f.oversold = Math.max(f.oversold, others + grant.units() - max);
                f.problem(id + ": granted " + grant.units() + " while " + others + " were certainly held of at most "
                        + max + ": " + op);
            }
            if (limited) {
                grant.byHolder().forEach((holder, units) -> checkHolderGrant(f, id, limit, grant, holder, units,
                        mineByHolder.getOrDefault(holder, List.of())));
            }
        }
        if (!resized) {
            // every unit sold came fresh, back from a release, or back from an expired hold
            long sold = grants.stream().mapToLong(Grant::units).sum();
            long releasedUnits = mine.stream().filter(h -> h.possiblyReleased).mapToLong(h -> h.quantity).sum();
            f.reclaimed += Math.max(0, sold - initialCapacity - releasedUnits);
        }

        // refusals and requests given up: the units possibly held while each ran, and at the end
        if (!unsold.isEmpty()) {
            DominanceSum possiblyHeld = new DominanceSum();
            List<Possible> possibleHolds = new ArrayList<>();
            // everything of each holder that may have been live, for the holders' refusals
            Map<String, List<Possible>> possiblyByHolder = new HashMap<>();
            if (snapshot.hasRows()) {
                for (Snapshot.Row row : snapshot.rows().values()) {
                    if (id.equals(row.resourceId())) {
                        Holding h = holdings.get(row.id());
                        long from = h == null || h.reservedBy == null ? Long.MIN_VALUE : h.reservedBy.invokedMicros();
                        long until = h == null ? Long.MAX_VALUE : h.certainlyReleasedAt;
                        Possible p;
                        if (h != null && h.hold()) {
                            p = new Possible(from, until, row.quantity(), h.expiresAt, h);
                            possibleHolds.add(p);
                        } else if (h == null && row.expiresAtMicros() != 0) {
                            p = new Possible(from, until, row.quantity(), row.expiresAtMicros(), null);
                            possibleHolds.add(p);
                        } else {
                            p = new Possible(from, until, row.quantity(), 0, h);
                            possiblyHeld.add(from, until, row.quantity());
                        }
                        possiblyByHolder.computeIfAbsent(row.holderId(), k -> new ArrayList<>()).add(p);
                    }
                }
            } else {
                for (Holding h : mine) {
                    long from = h.reservedBy == null ? Long.MIN_VALUE : h.reservedBy.invokedMicros();
                    Possible p = new Possible(from, h.certainlyReleasedAt, h.quantity, h.hold() ? h.expiresAt : 0, h);
                    if (h.hold()) {
                        possibleHolds.add(p);
                    } else {
                        possiblyHeld.add(from, h.certainlyReleasedAt, h.quantity);
                    }
                    possiblyByHolder.computeIfAbsent(h.holderId, k -> new ArrayList<>()).add(p);
                }
            }
            List<Unsold> forRoom = unsold.stream().filter(u -> u.holder() == null).toList();
            long[] ends = forRoom.stream().mapToLong(u -> u.last().completedMicros() + 1).toArray();
            long[] startedBefore = possiblyHeld.sums(ends, null);
            long[] goneBefore = possiblyHeld.sums(ends, forRoom.stream().mapToLong(u -> u.first().invokedMicros()).toArray());
            long freeAtEnd = resized || released ? -1 : state.capacity() - held;
            for (int i = 0; i < forRoom.size(); i++) {
                Unsold u = forRoom.get(i);
                long quantity = u.units();
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
                judge(f, id, u, why, orderRoom);
            }
            for (Unsold u : unsold) {
                if (u.holder() == null) {
                    continue;
                }
                String why;
                if (!limited) {
                    why = "although " + id + " has no limit per holder";
                } else {
                    long possibly = 0;
                    long expired = 0;
                    for (Possible p : possiblyByHolder.getOrDefault(u.holder(), List.of())) {
                        if (p.heldDuring(u)) {
                            if (p.expiredThroughout(u)) {
                                expired += p.quantity();
                            } else {
                                possibly += p.quantity();
                            }
                        }
                    }
                    long atEnd = heldByHolder.getOrDefault(u.holder(), 0L);
                    why = limit - possibly >= u.units() ? "while " + u.holder() + " had at most " + possibly + " live,"
                            + " limited to " + limit + (expired > 0 ? ", not counting holds that had expired by its clock"
                            + " (at least " + u.first().clockFrom() + ")" : "")
                            : !released && limit - atEnd >= u.units() ? "with " + u.holder() + " at " + atEnd
                            + " of the limit of " + limit + " at the end" : null;
                }
                judge(f, id, u, why, orderRoom);
            }
        }

        // rows against acknowledgements
        if (snapshot.hasRows()) {
            for (Holding h : mine) {
                Snapshot.Row row = snapshot.rows().get(h.id);
                if (row == null || !row.resourceId().equals(id) || row.quantity() != h.quantity) {
                    if (!h.orderLine) { // an order's line without its row is a half order (checkOrders)
                        f.lost++;
                        f.problem("lost: " + id + ": acknowledged reservation " + h.id + " (" + h.quantity + " units) "
                                + (row == null ? "has no row" : "has row " + row));
                    }
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
            long strangers = snapshot.rows().values().stream().filter(r -> id.equals(r.resourceId())
                    && !holdings.containsKey(r.id()) && !halfOrderRows.contains(r.id())).count();
            long unknownReserves = allOps.stream().filter(o -> o.asksUnits() && o.outcome() == Op.Outcome.UNKNOWN).count();
            long explained = Math.min(strangers, unknownReserves);
            f.explained += explained;
            if (strangers > explained) {
                f.unexpected += strangers - explained;
                f.problem(id + ": " + (strangers - explained) + " rows that no operation acknowledged");
            }
        }
    }

    /**
     * A request that ended without units, given why it had room ({@code why}), or null if it may
     * not have: a refusal, a request given up on, or a part of an order given up on (which counts
     * once the order's every part is judged).
     */
    private static void judge(Findings f, String id, Unsold u, String why, Map<Op, Boolean> orderRoom) {
        if (u.order() && u.gaveUp()) {
            if (why == null) {
                orderRoom.replaceAll((last, room) -> last.orderId() == u.last().orderId() ? false : room);
            }
            return;
        }
        String units = u.units(id);
        if (u.holder() != null) {
            if (why != null) {
                f.holderUndersold++;
                f.problem("holder undersold: " + units + " for " + u.holder() + " refused HOLDER_LIMIT_REACHED " + why + ": "
                        + u.last());
            }
            return;
        }
        if (why != null) {
            f.undersold++;
        }
        if (u.gaveUp()) {
            f.stuck++;
            f.problem(why != null ? "undersold: " + units + " never sold: " + u.gaveUpAfter() + " " + why + ": "
                    + u.last() : "stuck: " + u.gaveUpAfter() + " on " + units + ": " + u.last());
        } else if (why != null) {
            f.problem("undersold: " + units + " refused " + why + ": " + u.last());
        }
    }

    /**
     * A grant of {@code units} to {@code holder} on a limited resource against the holder's
     * reservations there ({@code theirs}): the units that certainly count at its decision (as for
     * oversold), and those certainly live at the instant it returned, its own included.
     */
    private static void checkHolderGrant(Findings f, String id, long limit, Grant grant, String holder, long units,
                                         List<Holding> theirs) {
        Op op = grant.op();
        long ended = op.completedMicros();
        long atDecision = units;
        long atReturn = 0;
        for (Holding h : theirs) {
            boolean own = grant.ids().contains(h.id);
            if (!own && h.countsAt(op)) {
                atDecision += h.quantity;
            }
            // took effect by the instant the grant returned, and no end of it begun by then
            if ((own || h.acknowledgedAt < ended) && h.possiblyReleasedFrom > ended
                    && (!h.hold() || h.expiresAt > op.clockTo() || h.confirmedAt < ended)) {
                atReturn += h.quantity;
            }
        }
        if (atDecision > limit) {
            f.overHolderLimit(atDecision - limit, "over the holder limit: " + holder + " was granted " + units + " of " + id
                    + " while " + (atDecision - units) + " of theirs certainly counted, limited to " + limit + ": " + op);
        } else if (atReturn > limit) {
            f.overHolderLimit(atReturn - limit, "over the holder limit: " + holder + " certainly had " + atReturn + " of " + id
                    + " live when a grant of " + units + " returned, limited to " + limit + ": " + op);
        }
    }

    /**
     * For each grant, the units of the other holds that certainly count at it: a sweep in the
     * order the grants began, over the holds granted before, less those that may have ended by
     * then (they count at no later grant either).
     */
    private static long[] holdsCounted(List<Grant> grants, List<Holding> holds) {
        List<Holding> byGrant = holds.stream().filter(h -> h.acknowledgedAt != Long.MAX_VALUE)
                .sorted(Comparator.comparingLong(h -> h.acknowledgedAt)).toList();
        Integer[] order = new Integer[grants.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong(i -> grants.get(i).op().invokedMicros()));
        PriorityQueue<Holding> active = new PriorityQueue<>(Comparator.comparingLong(h -> h.possiblyReleasedFrom));
        long[] counted = new long[grants.size()];
        int next = 0;
        for (int i : order) {
            Grant grant = grants.get(i);
            while (next < byGrant.size() && byGrant.get(next).acknowledgedAt < grant.op().invokedMicros()) {
                active.add(byGrant.get(next++));
            }
            while (!active.isEmpty() && active.peek().possiblyReleasedFrom <= grant.op().invokedMicros()) {
                active.poll();
            }
            for (Holding h : active) {
                if (!grant.ids().contains(h.id) && h.countsAt(grant.op())) {
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
        long halfOrders;
        long overHolderLimit;
        long holderUndersold;
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

        /** An order that is not whole. */
        void halfOrder(String text) {
            halfOrders++;
            problem(text);
        }

        /** A holder over a limit by {@code excess} units: the worst excess is kept. */
        void overHolderLimit(long excess, String text) {
            overHolderLimit = Math.max(overHolderLimit, excess);
            problem(text);
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
