package dev.capacity.stress.internal;

import dev.capacity.OrderResult;
import dev.capacity.ReservationStrategy;

import java.util.Objects;

/**
 * One operation of a race, as a client saw it: what it asked, when (wall-clock microseconds, so
 * that the histories of several processes on one machine can be merged), and what came back.
 *
 * <p>Like Jepsen's histories, every operation ends {@link Outcome#OK} (it happened as answered),
 * {@link Outcome#FAIL} (it certainly did not happen: a refusal, contention, an unreachable store)
 * or {@link Outcome#UNKNOWN} (it may or may not have happened: the connection failed during
 * COMMIT).
 *
 * <p>An order ({@link ReservationStrategy#reserveAll}) is recorded as one operation of kind
 * {@link Kind#ORDER} per line, each with the line's resource, holder, quantity, key and hold,
 * the reservation granted (or replayed) for that line, and what the order as a whole answered;
 * the lines of one call share its {@link #orderId()}, its times and its outcome.
 *
 * @param process the process that made it (0 for a race in one JVM)
 * @param thread the thread within the process
 * @param kind reserve, order (one line of it), release, confirm or resize
 * @param resourceId the resource
 * @param holderId the holder of a reserve; empty otherwise
 * @param quantity the units of a reserve or of an order's line; the new capacity of a resize; 0 for a release
 * @param key the idempotency key of a reserve, or empty
 * @param invokedMicros when the call started
 * @param completedMicros when it returned
 * @param outcome OK, FAIL or UNKNOWN
 * @param result the status name of a reserve (of the whole order, for its lines), {@code true}/{@code false} for a release, the
 *     {@code HoldStatus} name of a confirm, {@code done} for a resize, or the simple name of the
 *     exception thrown ({@code CONTENDED} for a confirm that gave up on lost races)
 * @param reservationId the reservation granted or replayed by a reserve, or released by a release,
 *     or confirmed by a confirm; 0 if none
 * @param attempts the attempts the strategy reported for a reserve; 0 otherwise
 * @param clockFrom the race's clock ({@link RaceClock}, microseconds) just before the call; 0 if
 *     the race had none
 * @param clockTo the race's clock just after it: the reading the call used lies in
 *     {@code [clockFrom, clockTo]}
 * @param holdMicros the time to live a reserve asked for its hold; 0 for a permanent reservation
 * @param expiresAtMicros when the hold a reserve returned expires, by the race's clock; 0 if it
 *     returned none
 * @param orderId for a line of an order, the order call's number, unique in the race; 0 otherwise
 * @param line for a line of an order, its index in the order; 0 otherwise
 * @param failedLine for a line of a refused order, the line the refusal named
 *     ({@link OrderResult#failedLine()}); -1 otherwise
 */
public record Op(int process, int thread, Kind kind, String resourceId, String holderId, int quantity, String key,
                 long invokedMicros, long completedMicros, Outcome outcome, String result, long reservationId,
                 int attempts, long clockFrom, long clockTo, long holdMicros, long expiresAtMicros, long orderId,
                 int line, int failedLine) {

    private static final int FIELDS = 20;
    /** The fields of a line written before orders were recorded. */
    private static final int FIELDS_WITHOUT_ORDERS = 17;

    /** What the operation asked for: {@link #ORDER} is one line of an order. */
    public enum Kind { RESERVE, RELEASE, CONFIRM, RESIZE, ORDER }

    /** Whether it happened. */
    public enum Outcome { OK, FAIL, UNKNOWN }

    public Op {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(resourceId, "resourceId");
        Objects.requireNonNull(holderId, "holderId");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(result, "result");
    }

    /** An operation that is not part of an order. */
    public Op(int process, int thread, Kind kind, String resourceId, String holderId, int quantity, String key,
              long invokedMicros, long completedMicros, Outcome outcome, String result, long reservationId, int attempts,
              long clockFrom, long clockTo, long holdMicros, long expiresAtMicros) {
        this(process, thread, kind, resourceId, holderId, quantity, key, invokedMicros, completedMicros, outcome, result,
                reservationId, attempts, clockFrom, clockTo, holdMicros, expiresAtMicros, 0, 0, -1);
    }

    /** An operation of a race without holds, whose clock nobody read. */
    public Op(int process, int thread, Kind kind, String resourceId, String holderId, int quantity, String key,
              long invokedMicros, long completedMicros, Outcome outcome, String result, long reservationId, int attempts) {
        this(process, thread, kind, resourceId, holderId, quantity, key, invokedMicros, completedMicros, outcome, result,
                reservationId, attempts, 0, 0, 0, 0);
    }

    public boolean hasKey() {
        return !key.isEmpty();
    }

    /**
     * A reserve, or a line of an order, answered RESERVED or REPLAYED: the client holds
     * {@link #reservationId()}.
     */
    public boolean granted() {
        return (kind == Kind.RESERVE || kind == Kind.ORDER) && outcome == Outcome.OK
                && ("RESERVED".equals(result) || "REPLAYED".equals(result));
    }

    /** A reserve answered INSUFFICIENT_CAPACITY: the strategy said it did not fit. */
    public boolean refused() {
        return kind == Kind.RESERVE && "INSUFFICIENT_CAPACITY".equals(result);
    }

    /** A reserve or a line of an order: a call that asks for units. */
    public boolean asksUnits() {
        return kind == Kind.RESERVE || kind == Kind.ORDER;
    }

    /** The first line of an order: one operation per order call, for counting calls. */
    public boolean firstLine() {
        return kind == Kind.ORDER && line == 0;
    }

    /** A reserve or an order (its first line) answered HOLDER_LIMIT_REACHED. */
    public boolean holderLimited() {
        return (kind == Kind.RESERVE || firstLine()) && "HOLDER_LIMIT_REACHED".equals(result);
    }

    /** A release that returned true. */
    public boolean released() {
        return kind == Kind.RELEASE && outcome == Outcome.OK && "true".equals(result);
    }

    /** A reserve, or a line of an order, that asked for a hold. */
    public boolean asksHold() {
        return asksUnits() && holdMicros > 0;
    }

    /** A definite answer of {@code kind} that was {@code result}. */
    public boolean answered(Kind kind, String result) {
        return this.kind == kind && outcome == Outcome.OK && result.equals(this.result);
    }

    public long latencyMicros() {
        return completedMicros - invokedMicros;
    }

    /** One line of tab-separated text, for the history files of a multi-process race. */
    public String toLine() {
        return String.join("\t", String.valueOf(process), String.valueOf(thread), kind.name(), resourceId, holderId,
                String.valueOf(quantity), key, String.valueOf(invokedMicros), String.valueOf(completedMicros),
                outcome.name(), result, String.valueOf(reservationId), String.valueOf(attempts), String.valueOf(clockFrom),
                String.valueOf(clockTo), String.valueOf(holdMicros), String.valueOf(expiresAtMicros), String.valueOf(orderId),
                String.valueOf(line), String.valueOf(failedLine));
    }

    public static Op fromLine(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != FIELDS && f.length != FIELDS_WITHOUT_ORDERS) {
            throw new IllegalArgumentException("not an operation line (" + f.length + " fields): " + line);
        }
        boolean order = f.length == FIELDS;
        return new Op(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Kind.valueOf(f[2]), f[3], f[4],
                Integer.parseInt(f[5]), f[6], Long.parseLong(f[7]), Long.parseLong(f[8]), Outcome.valueOf(f[9]), f[10],
                Long.parseLong(f[11]), Integer.parseInt(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14]),
                Long.parseLong(f[15]), Long.parseLong(f[16]), order ? Long.parseLong(f[17]) : 0,
                order ? Integer.parseInt(f[18]) : 0, order ? Integer.parseInt(f[19]) : -1);
    }
}
