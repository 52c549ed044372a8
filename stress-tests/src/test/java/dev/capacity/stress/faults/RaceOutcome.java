package dev.capacity.stress.faults;

import dev.capacity.jdbc.CapacityPool;
import dev.capacity.stress.internal.RaceReport;

/**
 * One race of the fault suite under one fault.
 *
 * @param round the round the race ran in (see {@link Fault#PAIRED}); the races that run once
 *     count in the last round
 * @param answeredPerSecond calls that got a definite answer (granted, refused, released), per second
 * @param injected faults injected: sessions killed, failed commits, timeouts, or calls refused while
 *     connections or the server were missing
 * @param cancelled statements interrupted by the killer, their sessions left open (see
 *     {@link FaultTarget#cancelShare})
 * @param injectedDetail the faults by kind
 * @param keyedUnknown reserve calls with an idempotency key, and orders with every line keyed,
 *     whose outcome stayed unknown (the store was unreachable for the lookup too)
 * @param unresolved of those, the ones that the same request sent again after the race did not
 *     answer with the truth: REPLAYED with the row (every line's, for an order) if the rows are
 *     there, anything else if none is
 * @param unkeyedUnknown reserve calls without a key, and orders with a line without one, that
 *     ended in {@code OutcomeUnknownException}
 * @param slowestFailureMicros the slowest call that failed with {@code StoreUnavailableException}
 * @param lostConfirmCommits COMMITs of confirms that failed (under {@link Fault#COMMIT_FAULTS}):
 *     each confirm looked itself up, and the checker judged what it answered
 * @param lostOrderCommits COMMITs of orders that failed: each order looked its first line up, and
 *     the checker judged the order whole or not at all
 * @param lostLimitedCommits COMMITs of reserves on a resource with a per-holder limit that failed
 * @param newConnections sessions the pool opened during the race (replacing lost or evicted ones)
 * @param activeAfter the pool's connections still lent out after the race
 * @param totalAfter the pool's open connections after the race, once it had refilled (or given up waiting)
 * @param refillMillis how long after the race the pool took to be whole again: every
 *     connection back and open (a {@link CapacityPool} keeps a fixed number); -1 if it was
 *     not within {@value FaultSuite#REFILL_SECONDS} s
 * @param poolSize the pool's maximum
 */
public record RaceOutcome(String strategy, Fault fault, int round, RaceReport report, double answeredPerSecond, long injected,
                          long cancelled, String injectedDetail, long keyedUnknown, long unresolved, long unkeyedUnknown, long slowestFailureMicros,
                          long lostConfirmCommits, long lostOrderCommits, long lostLimitedCommits, long newConnections,
                          int activeAfter, int totalAfter, long refillMillis, int poolSize) {

    /**
     * The checker found nothing, every keyed unknown outcome was resolved to the truth (and,
     * when only COMMIT acknowledgements were lost, none stayed unknown at all), and the pool
     * is whole again: no connection lent out, as many open as it keeps.
     */
    public boolean invariantsHold() {
        return report.ok() && unresolved == 0 && (fault != Fault.COMMIT_FAULTS || keyedUnknown == 0)
                && activeAfter == 0 && totalAfter == poolSize && refillMillis >= 0;
    }
}
