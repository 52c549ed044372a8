package dev.capacity.jdbc;

import dev.capacity.OrderResult;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.internal.Events;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An order as a unit of work: every line's reservation row, then each resource's units in
 * resource id order (the strategy's own step, {@link JdbiStrategy#takePart}), then each limited
 * resource's holders' units; committed only if every line was granted. A refusal of any part
 * rolls everything back and names the part's first line.
 *
 * <p>A key found taken while inserting makes the order a repeat: it is replayed if every line is
 * keyed and each key's reservation (committed by an earlier order, not inserted by this attempt)
 * matches its line, and is otherwise a conflict naming the first line that does not match.
 * After a COMMIT of unknown outcome the first line's row is looked up: found, the order
 * committed; not found, an order whose every line is keyed runs again (the keys stop a second
 * grant should the COMMIT still land), and any other order's outcome is unknown.
 *
 * <p>Not threadsafe: one per order.
 */
final class OrderReservation extends Transactions.Unit<OrderResult> {

    private final JdbiStrategy strategy;
    private final List<ReservationRequest> lines;
    private final boolean joined;
    private final List<OrderPart> parts;
    private final List<Integer> insertOrder;
    /** The resource whose refusal ended the last run, if it found it sold out and unmarked; else null. */
    private String soldOutUnmarked;

    OrderReservation(JdbiStrategy strategy, List<ReservationRequest> lines, boolean joined) {
        this.strategy = strategy;
        this.lines = lines;
        this.joined = joined;
        this.parts = OrderPart.of(lines);
        this.insertOrder = OrderPart.insertOrder(lines);
    }

    @Override
    String what() {
        return "reserving an order of " + lines.size() + " line(s)" + (joined ? " in the caller's transaction" : "");
    }

    /** The resource a refusal of the order found sold out and not marked so (see {@link UniqueSlotsStrategy}); or null. */
    String soldOutUnmarked() {
        return soldOutUnmarked;
    }

    @Override
    Transactions.Step<OrderResult> run(Store store, Connection c, int attempt) throws SQLException {
        Instant now = strategy.now();
        soldOutUnmarked = null;
        long[] ids = new long[lines.size()];
        Instant[] expiries = new Instant[lines.size()];
        for (int i : insertOrder) {
            ReservationRequest line = lines.get(i);
            expiries[i] = JdbiStrategy.expiryOf(line, now);
            OptionalLong id = store.reservations.insert(c, line, now, expiries[i]);
            if (id.isEmpty()) {
                return repeat(store, c, i, ids);
            }
            ids[i] = id.getAsLong();
        }
        for (OrderPart part : parts) {
            part.reset();
        }
        for (OrderPart part : parts) {
            Attempt refused = strategy.takePart(store, c, part, ids, now, joined);
            if (refused == null && part.holderLimit != Long.MAX_VALUE) {
                refused = takeHolders(store, c, part, now);
            }
            if (refused != null) {
                soldOutUnmarked = refused.soldOutUnmarked() ? part.resourceId : null;
                return refused.isRetry() ? Transactions.Step.lostRace(refused.retryReason())
                        : Transactions.Step.discard(OrderResult.refused(refused.status(), part.failedLine));
            }
        }
        List<Reservation> reservations = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            reservations.add(JdbiStrategy.reservation(ids[i], lines.get(i), now, expiries[i]));
        }
        return Transactions.Step.keep(OrderResult.granted(Status.RESERVED, reservations));
    }

    /** Each holder's units of a limited part, in holder id order; null if they all fit. */
    private Attempt takeHolders(Store store, Connection c, OrderPart part, Instant now) throws SQLException {
        for (var holder : part.holders.entrySet()) {
            Attempt refused = strategy.takeHolderUnits(store, c, part.resourceId, holder.getKey(), holder.getValue(),
                    part.holderLimit, ReservationResult.UNKNOWN_AVAILABLE, now);
            if (refused != null) {
                part.failedLine = part.holdersFirstLine.get(holder.getKey());
                return refused;
            }
        }
        return null;
    }

    /**
     * The answer when line {@code taken}'s key is taken: a replay of the earlier order, or a
     * conflict. Rows this attempt inserted ({@code ours}, 0 where none yet) are no earlier order's.
     */
    private Transactions.Step<OrderResult> repeat(Store store, Connection c, int taken, long[] ours) throws SQLException {
        List<Reservation> earlier = new ArrayList<>(lines.size());
        int mismatch = -1;
        for (int i = 0; i < lines.size() && mismatch < 0; i++) {
            ReservationRequest line = lines.get(i);
            Optional<Reservation> existing = line.idempotencyKey() == null ? Optional.empty()
                    : store.reservations.byKey(c, line.idempotencyKey());
            if (i == taken && existing.isEmpty()) {
                return Transactions.Step.lostRace("idempotency key taken by a transaction this one cannot see");
            }
            if (existing.isEmpty() || contains(ours, existing.get().id()) || !line.matches(existing.get())) {
                mismatch = i;
            } else {
                earlier.add(existing.get());
            }
        }
        return Transactions.Step.discard(mismatch >= 0
                ? OrderResult.refused(Status.IDEMPOTENCY_KEY_CONFLICT, mismatch)
                : OrderResult.granted(Status.REPLAYED, earlier));
    }

    private static boolean contains(long[] ids, long id) {
        return Arrays.stream(ids).anyMatch(ours -> ours == id);
    }

    @Override
    OrderResult afterUnknownCommit(OrderResult committed, SQLException failure) {
        long first = committed.reservations().get(0).id();
        boolean found = strategy.transactions.onConnection("looking up an order after a failed commit",
                (store, c) -> store.reservations.exists(c, first));
        if (found) {
            return committed;
        }
        if (lines.stream().allMatch(line -> line.idempotencyKey() != null)) {
            return null;
        }
        throw unknownOutcome(failure);
    }

    @Override
    OutcomeUnknownException unknownOutcome(SQLException failure) {
        return new OutcomeUnknownException(what() + " (" + lines + ")", failure);
    }

    @Override
    OrderResult givenUp(int attempts, String reason, Exception failure) {
        return OrderResult.refused(Status.CONTENDED, OrderResult.NO_LINE);
    }

    @Override
    void retrying(int attempt, long backoffNanos, String reason) {
        AfterCommit.add(() -> Events.retried(strategy.options.listener(), strategy.name(), lines.get(0), attempt,
                backoffNanos, "order of " + lines.size() + " line(s): " + reason));
    }
}
