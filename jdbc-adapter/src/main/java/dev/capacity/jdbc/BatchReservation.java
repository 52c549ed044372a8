package dev.capacity.jdbc;

import dev.capacity.OutcomeUnknownException;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyOptions;
import dev.capacity.internal.Events;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One batch of the combining strategy as a unit of work: under the counter row's lock, requests
 * are decided in arrival order, as if one after the other. A repeated idempotency key is answered
 * from the database or from earlier in the batch; every other request is granted if it fits what
 * is left (and its holder's limit, on a limited resource), so a request never overtakes an
 * earlier one that fits. The grants go in as one bulk insert and one counter update.
 *
 * <p>A batch without idempotency keys first tries the shape of the ceiling: one guarded update of
 * the counter by the whole batch's units, then the bulk insert, then COMMIT; the counter row is
 * then locked for those two statements only. On a resource with a per-holder limit, one
 * statement between them adds every holder's units if all of them stay within the limit, or none:
 * on PostgreSQL one statement that checks them all first; on H2 a {@code MERGE} that adds the units
 * of each holder that fits, under a savepoint that is rolled back to if one did not (an all-or-none
 * {@code MERGE} ran slower there than the five statements of the way below); on MariaDB and MySQL
 * a resource last seen with a limit skips this shape. If the batch does not fit, or a holder
 * would pass the limit, the update is taken back and the batch is decided one request at a time
 * as above.
 *
 * <p>A batch that loses a race (a lock timeout, a deadlock, an idempotency key inserted meanwhile
 * by another process) runs again within the budget, then every request is answered
 * {@code CONTENDED}. After a COMMIT of unknown outcome the batch's first granted row is looked
 * up: found, the whole batch committed; not found, the keyed requests run again (their keys stop
 * a second reservation should the COMMIT still land) and the others get an
 * {@link OutcomeUnknownException}.
 *
 * <p>Not threadsafe: one per batch, run by the combining thread.
 */
final class BatchReservation extends Transactions.Unit<BatchReservation.Decisions> {

    private final CounterStrategy strategy;
    private final String resourceId;
    private List<RequestCombiner.Pending<ReservationRequest, ReservationResult>> batch;
    /** The resources last seen with a per-holder limit, shared by the strategy's batches. */
    private final Set<String> limited;

    BatchReservation(CounterStrategy strategy, String resourceId,
                     List<RequestCombiner.Pending<ReservationRequest, ReservationResult>> batch, Set<String> limited) {
        this.strategy = strategy;
        this.resourceId = resourceId;
        this.batch = batch;
        this.limited = limited;
    }

    /** Runs the batch until it is decided; answers every request, or fails it with the exception that ended the batch. */
    void runAndAnswer() {
        try {
            strategy.transactions.inOwnTransaction(null, this).answer();
        } catch (RuntimeException e) {
            for (RequestCombiner.Pending<ReservationRequest, ReservationResult> pending : batch) {
                pending.fail(e);
            }
        }
    }

    @Override
    String what() {
        return "reserving a batch of " + batch.size() + " on '" + resourceId + "'";
    }

    @Override
    Transactions.Step<Decisions> run(Store store, Connection c, int attempt) throws SQLException {
        if (keys().isEmpty() && (store.holders.addsAllOrNone() || !limited.contains(resourceId))) {
            Transactions.Step<Decisions> whole = grantWhole(store, c, attempt);
            if (whole != null) {
                return whole;
            }
        }
        Optional<ResourceRow> locked = store.resources.lock(c, resourceId);
        if (locked.isEmpty()) {
            Decisions decisions = new Decisions(batch, attempt);
            for (int i = 0; i < batch.size(); i++) {
                decisions.refuse(i, Status.UNKNOWN_RESOURCE, 0);
            }
            return Transactions.Step.discard(decisions);
        }
        strategy.requireFamily(locked.get().family(), resourceId);
        Instant now = strategy.now();
        ResourceRow row = locked.get();
        if (row.isLimited()) {
            limited.add(resourceId);
        } else {
            limited.remove(resourceId);
        }
        boolean reclaimed = false;
        if (requested() > row.capacity() - row.reserved()) {
            // short of room: expired holds are reclaimed under this batch's lock first
            reclaimed = true;
            if (strategy.reclaimExpired(store, c, resourceId, now) > 0) {
                row = store.resources.select(c, resourceId).orElseThrow();
            }
        }
        Map<String, Reservation> taken = store.reservations.byKeys(c, keys());
        Decided decided = decide(store, c, row, taken, attempt);
        if (decided.holderRefused && !reclaimed) {
            // a holder at the limit may have expired holds: reclaimed (their units given back), then decided again
            reclaimed = true;
            if (strategy.reclaimExpired(store, c, resourceId, now) > 0) {
                row = store.resources.select(c, resourceId).orElseThrow();
                decided = decide(store, c, row, taken, attempt);
            }
        }
        Decisions decisions = decided.decisions;
        if (decided.refused && store.reservations.anyExpired(c, resourceId, now)) {
            return Transactions.Step.lostRace("an expired hold of '" + resourceId + "' is being ended by another transaction");
        }
        if (decided.grants.isEmpty()) {
            return Transactions.Step.discard(decisions);
        }
        if (row.isLimited() && !store.holders.addAll(c, resourceId, decided.holderUnits, decided.holderAdded,
                row.holderLimit())) {
            return Transactions.Step.lostRace("a holder's units on '" + resourceId + "' changed meanwhile");
        }
        Transactions.Step<Decisions> inserted = insert(store, c, decided.grants, decided.granted, decisions, now);
        if (inserted.lostRace() != null) {
            return inserted;
        }
        store.resources.increment(c, resourceId, units(decided.grants), row.capacity() - row.reserved());
        return inserted;
    }

    /**
     * Grants the whole batch with one guarded update of the counter, then, on a resource with a
     * per-holder limit, every holder's units at once, then its rows: null, with nothing written,
     * if the batch does not fit (or the resource is not a counter resource), or if a holder would
     * pass the limit or this database cannot tell in one statement (the update taken back): then
     * it is decided one request at a time.
     */
    private Transactions.Step<Decisions> grantWhole(Store store, Connection c, int attempt) throws SQLException {
        long units = requested();
        Optional<ResourceRows.Guarded> guarded = store.resources.conditionalIncrement(c, resourceId, units);
        if (guarded.isEmpty()) {
            return null;
        }
        long limit = guarded.get().holderLimit();
        if (limit != Long.MAX_VALUE) {
            limited.add(resourceId);
            if (!store.holders.addsAllOrNone()
                    || !store.holders.addAllOrNone(c, resourceId, unitsByHolder(), limit)) {
                store.resources.decrement(c, resourceId, units);
                return null;
            }
        } else {
            limited.remove(resourceId);
        }
        Decisions decisions = new Decisions(batch, attempt);
        List<ReservationRequest> grants = new ArrayList<>(batch.size());
        List<Integer> granted = new ArrayList<>(batch.size());
        long left = guarded.get().left() + units;
        for (int i = 0; i < batch.size(); i++) {
            ReservationRequest request = batch.get(i).request();
            left -= request.quantity();
            decisions.grant(i, left);
            grants.add(request);
            granted.add(i);
        }
        return insert(store, c, grants, granted, decisions, strategy.now());
    }

    /** Inserts the rows of the grants (requests {@code granted} of the batch) and records them; keeps the decisions. */
    private Transactions.Step<Decisions> insert(Store store, Connection c, List<ReservationRequest> grants,
                                                List<Integer> granted, Decisions decisions, Instant now)
            throws SQLException {
        List<Instant> expiries = new ArrayList<>(grants.size());
        for (ReservationRequest grant : grants) {
            expiries.add(JdbiStrategy.expiryOf(grant, now));
        }
        long[] ids;
        try {
            ids = store.reservations.insertAll(c, grants, now, expiries);
        } catch (SQLException e) {
            if (SqlErrors.classify(e) == SqlErrors.Kind.UNIQUE_VIOLATION) {
                return Transactions.Step.lostRace("an idempotency key of the batch was taken meanwhile");
            }
            throw e;
        }
        for (int g = 0; g < ids.length; g++) {
            decisions.reserved(granted.get(g), JdbiStrategy.reservation(ids[g], grants.get(g), now, expiries.get(g)));
        }
        return Transactions.Step.keep(decisions);
    }

    /** The units the batch asks for, by holder. */
    private Map<String, Long> unitsByHolder() {
        Map<String, Long> units = new HashMap<>();
        for (RequestCombiner.Pending<ReservationRequest, ReservationResult> pending : batch) {
            units.merge(pending.request().holderId(), (long) pending.request().quantity(), Long::sum);
        }
        return units;
    }

    private static long units(List<ReservationRequest> grants) {
        long units = 0;
        for (ReservationRequest grant : grants) {
            units += grant.quantity();
        }
        return units;
    }

    /**
     * What a batch decided against one reading of the counter row and, on a limited resource, of
     * its holders' rows: the grants in arrival order, and the units each holder had before
     * ({@code holderUnits}, a holder without a row left out) and is granted now ({@code holderAdded}).
     */
    private record Decided(Decisions decisions, List<ReservationRequest> grants, List<Integer> granted, boolean refused,
                           boolean holderRefused, Map<String, Long> holderUnits, Map<String, Long> holderAdded) {}

    /**
     * Decides every request in arrival order, as if one after the other: a repeated key is replayed,
     * a request that fits what is left (and its holder's limit) is granted, any other refused. The
     * holders' rows are read once for the batch; under the counter row's lock no other transaction
     * changes them (every change to a holder's row of a counter resource takes that lock first).
     */
    private Decided decide(Store store, Connection c, ResourceRow row, Map<String, Reservation> taken, int attempt)
            throws SQLException {
        Decisions decisions = new Decisions(batch, attempt);
        Map<String, Long> holderUnits = row.isLimited() ? store.holders.unitsOf(c, resourceId, holders()) : Map.of();
        Map<String, Long> holderAdded = new HashMap<>();
        Map<String, Integer> grantedKeys = new HashMap<>();
        long left = row.capacity() - row.reserved();
        boolean refused = false;
        boolean holderRefused = false;
        List<ReservationRequest> grants = new ArrayList<>();
        List<Integer> granted = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            ReservationRequest request = batch.get(i).request();
            String key = request.idempotencyKey();
            String holder = request.holderId();
            if (key != null && taken.containsKey(key)) {
                decisions.replay(i, Attempt.replayOf(request, taken.get(key)));
            } else if (key != null && grantedKeys.containsKey(key)) {
                decisions.repeatOf(i, grantedKeys.get(key));
            } else if (request.quantity() > left) {
                decisions.refuse(i, Status.INSUFFICIENT_CAPACITY, Math.max(0, left));
                refused = true;
            } else if (row.isLimited() && holderUnits.getOrDefault(holder, 0L) + holderAdded.getOrDefault(holder, 0L)
                    > row.holderLimit() - request.quantity()) {
                decisions.refuse(i, Status.HOLDER_LIMIT_REACHED, left);
                refused = true;
                holderRefused = true;
            } else {
                left -= request.quantity();
                grants.add(request);
                granted.add(i);
                decisions.grant(i, left);
                if (row.isLimited()) {
                    holderAdded.merge(holder, (long) request.quantity(), Long::sum);
                }
                if (key != null) {
                    grantedKeys.put(key, i);
                }
            }
        }
        return new Decided(decisions, grants, granted, refused, holderRefused, holderUnits, holderAdded);
    }

    /** The batch's holders, each once. */
    private Set<String> holders() {
        Set<String> holders = new LinkedHashSet<>();
        for (RequestCombiner.Pending<ReservationRequest, ReservationResult> pending : batch) {
            holders.add(pending.request().holderId());
        }
        return holders;
    }

    /** The units the batch asks for, repeats of a key included: enough to tell whether it may not fit. */
    private long requested() {
        long units = 0;
        for (RequestCombiner.Pending<ReservationRequest, ReservationResult> pending : batch) {
            units += pending.request().quantity();
        }
        return units;
    }

    private Set<String> keys() {
        Set<String> keys = new LinkedHashSet<>();
        for (RequestCombiner.Pending<ReservationRequest, ReservationResult> pending : batch) {
            if (pending.request().idempotencyKey() != null) {
                keys.add(pending.request().idempotencyKey());
            }
        }
        return keys;
    }

    /**
     * Found the batch's first row: it committed. Not found: the unkeyed requests are answered
     * with {@link OutcomeUnknownException} and the keyed ones run again (null), unless none is
     * left. The lookup failing too: every request is answered with that exception.
     */
    @Override
    Decisions afterUnknownCommit(Decisions committed, SQLException failure) {
        long probe = committed.firstGrantedId();
        boolean found;
        try {
            found = strategy.transactions.onConnection("checking a batch after a failed commit",
                    (store, c) -> store.reservations.exists(c, probe));
        } catch (RuntimeException lookup) {
            failure.addSuppressed(lookup);
            for (RequestCombiner.Pending<ReservationRequest, ReservationResult> pending : batch) {
                pending.fail(new OutcomeUnknownException(pending.request(), failure));
            }
            return Decisions.answered();
        }
        if (found) {
            return committed;
        }
        List<RequestCombiner.Pending<ReservationRequest, ReservationResult>> keyed = new ArrayList<>();
        for (RequestCombiner.Pending<ReservationRequest, ReservationResult> pending : batch) {
            if (pending.request().idempotencyKey() != null) {
                keyed.add(pending);
            } else {
                pending.fail(new OutcomeUnknownException(pending.request(), failure));
            }
        }
        batch = keyed;
        return keyed.isEmpty() ? Decisions.answered() : null;
    }

    /** Ours only when the batch's first row was found: the requests answered unknown told nothing. */
    @Override
    boolean landed(Decisions committed, Decisions truth) {
        return truth == committed;
    }

    @Override
    Decisions givenUp(int attempts, String reason, Exception failure) {
        Decisions contended = new Decisions(batch, attempts);
        for (int i = 0; i < batch.size(); i++) {
            contended.refuse(i, Status.CONTENDED, ReservationResult.UNKNOWN_AVAILABLE);
        }
        return contended;
    }

    @Override
    void retrying(int attempt, long backoffNanos, String reason) {
        StrategyOptions options = strategy.options;
        Events.retried(options.listener(), strategy.name(), batch.get(0).request(), attempt, backoffNanos,
                "batch of " + batch.size() + ": " + reason);
    }

    /** What a batch decided for each of its requests, in arrival order. Not threadsafe. */
    static final class Decisions {
        private final List<RequestCombiner.Pending<ReservationRequest, ReservationResult>> batch;
        private final int attempts;
        private final Status[] statuses;
        private final Reservation[] reservations;
        private final long[] available;
        private final int[] repeatOf;
        private final boolean answered;

        Decisions(List<RequestCombiner.Pending<ReservationRequest, ReservationResult>> batch, int attempts) {
            this(batch, attempts, false);
        }

        private Decisions(List<RequestCombiner.Pending<ReservationRequest, ReservationResult>> batch, int attempts,
                          boolean answered) {
            this.batch = batch;
            this.attempts = attempts;
            int n = batch.size();
            this.statuses = new Status[n];
            this.reservations = new Reservation[n];
            this.available = new long[n];
            this.repeatOf = new int[n];
            this.answered = answered;
            Arrays.fill(repeatOf, -1);
        }

        /** Decisions whose requests were all answered already. */
        static Decisions answered() {
            return new Decisions(List.of(), 0, true);
        }

        void refuse(int i, Status status, long availableAfter) {
            statuses[i] = status;
            available[i] = availableAfter;
        }

        void grant(int i, long availableAfter) {
            statuses[i] = Status.RESERVED;
            available[i] = availableAfter;
        }

        void reserved(int i, Reservation reservation) {
            reservations[i] = reservation;
        }

        void replay(int i, Attempt replay) {
            statuses[i] = replay.status();
            reservations[i] = replay.reservation();
            available[i] = ReservationResult.UNKNOWN_AVAILABLE;
        }

        /** Request {@code i} repeats the key that request {@code first} of this batch was granted with. */
        void repeatOf(int i, int first) {
            repeatOf[i] = first;
        }

        long firstGrantedId() {
            for (int i = 0; i < statuses.length; i++) {
                if (statuses[i] == Status.RESERVED) {
                    return reservations[i].id();
                }
            }
            throw new IllegalStateException("no grant in this batch");
        }

        /** Answers every request of the batch. */
        void answer() {
            if (answered) {
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                RequestCombiner.Pending<ReservationRequest, ReservationResult> pending = batch.get(i);
                if (repeatOf[i] >= 0) {
                    pending.answer(Attempt.replayOf(pending.request(), reservations[repeatOf[i]]).toResult(attempts));
                } else {
                    pending.answer(new ReservationResult(statuses[i], reservations[i], available[i], attempts));
                }
            }
        }
    }
}
