package dev.capacity.stress.faults;

import java.util.List;

/** What goes wrong during a race of the fault suite. */
public enum Fault {
    NONE("no faults: the yardstick"),
    KILLS("sessions ended at random moments (pg_terminate_backend, KILL CONNECTION)"),
    COMMIT_FAULTS("COMMIT acknowledgement lost, after or instead of the commit"),
    TIMEOUTS("statement timeout 5 ms, lock timeout 1 ms (MariaDB: 1 s, its least)"),
    POOL_EXHAUSTED("half as many connections as threads, all taken for 400 ms at times, 250 ms connection timeout"),
    RESTART("server stopped and started again mid-run");

    /**
     * The faults a running application lives through without an outage, whose throughput is
     * measured against the fault-free race's. They run in rounds, each round the fault-free race
     * and these on the same plan, in an order that changes from round to round (see
     * {@link FaultSuite#order}), so that a drift of the machine's speed during the suite, or what
     * one race leaves behind for the next, falls on every fault alike; each fault's ratio is taken
     * within its round. The pool exhausted and the restart are outages by design (the pool is
     * taken away most of the time; the server is down for seconds) and run once, after the rounds.
     */
    public static final List<Fault> PAIRED = List.of(NONE, KILLS, COMMIT_FAULTS, TIMEOUTS);

    private final String description;

    Fault(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
