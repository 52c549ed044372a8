package dev.capacity.stress;

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
 * @param process the process that made it (0 for a race in one JVM)
 * @param thread the thread within the process
 * @param kind reserve, release, confirm or resize
 * @param resourceId the resource
 * @param holderId the holder of a reserve; empty otherwise
 * @param quantity the units of a reserve; the new capacity of a resize; 0 for a release
 * @param key the idempotency key of a reserve, or empty
 * @param invokedMicros when the call started
 * @param completedMicros when it returned
 * @param outcome OK, FAIL or UNKNOWN
 * @param result the status name of a reserve, {@code true}/{@code false} for a release, the
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
 */
public record Op(int process, int thread, Kind kind, String resourceId, String holderId, int quantity, String key,
                 long invokedMicros, long completedMicros, Outcome outcome, String result, long reservationId,
                 int attempts, long clockFrom, long clockTo, long holdMicros, long expiresAtMicros) {

    private static final int FIELDS = 17;

    /** What the operation asked for. */
    public enum Kind { RESERVE, RELEASE, CONFIRM, RESIZE }

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

    /** An operation of a race without holds, whose clock nobody read. */
    public Op(int process, int thread, Kind kind, String resourceId, String holderId, int quantity, String key,
              long invokedMicros, long completedMicros, Outcome outcome, String result, long reservationId, int attempts) {
        this(process, thread, kind, resourceId, holderId, quantity, key, invokedMicros, completedMicros, outcome, result,
                reservationId, attempts, 0, 0, 0, 0);
    }

    public boolean hasKey() {
        return !key.isEmpty();
    }

    /** A reserve answered RESERVED or REPLAYED: the client holds {@link #reservationId()}. */
    public boolean granted() {
        return kind == Kind.RESERVE && outcome == Outcome.OK
                && ("RESERVED".equals(result) || "REPLAYED".equals(result));
    }

    /** A reserve answered INSUFFICIENT_CAPACITY: the strategy said it did not fit. */
    public boolean refused() {
        return kind == Kind.RESERVE && "INSUFFICIENT_CAPACITY".equals(result);
    }

    /** A release that returned true. */
    public boolean released() {
        return kind == Kind.RELEASE && outcome == Outcome.OK && "true".equals(result);
    }

    /** A reserve that asked for a hold. */
    public boolean asksHold() {
        return kind == Kind.RESERVE && holdMicros > 0;
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
                String.valueOf(clockTo), String.valueOf(holdMicros), String.valueOf(expiresAtMicros));
    }

    public static Op fromLine(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != FIELDS) {
            throw new IllegalArgumentException("not an operation line (" + f.length + " fields): " + line);
        }
        return new Op(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Kind.valueOf(f[2]), f[3], f[4],
                Integer.parseInt(f[5]), f[6], Long.parseLong(f[7]), Long.parseLong(f[8]), Outcome.valueOf(f[9]), f[10],
                Long.parseLong(f[11]), Integer.parseInt(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14]),
                Long.parseLong(f[15]), Long.parseLong(f[16]));
    }
}
