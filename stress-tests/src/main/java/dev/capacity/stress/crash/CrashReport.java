package dev.capacity.stress.crash;

import java.util.List;

/**
 * One kill: what the worker acknowledged before it died, and what the reopened database holds.
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param exitCode the worker's exit code; 137 (128 + 9) means it died of SIGKILL
 * @param acknowledgedReservations reservations the parent read an acknowledgement for
 * @param acknowledgedReleases releases the parent read an acknowledgement for
 * @param rows reservation rows in the reopened database
 * @param lostReservations acknowledged reservations with no row, or a row with another id,
 *     resource or quantity
 * @param lostReleases acknowledged releases whose row is not released
 * @param unacknowledgedRows rows never acknowledged: committed, but the kill came before the
 *     acknowledgement (not a fault)
 * @param problems broken invariants: ledger, oversold, duplicate keys, slots that do not match
 *     their reservation; empty when all hold
 * @param lostSamples a few of the lost acknowledgements, to look at
 */
public record CrashReport(H2Setting setting, long seed, int threads, String prefix, int exitCode,
                          long millisUntilKill, long acknowledgedReservations, long acknowledgedReleases, long rows,
                          long lostReservations, long lostReleases, long unacknowledgedRows, List<String> problems,
                          List<String> lostSamples) {

    public static final int SIGKILL_EXIT_CODE = 128 + 9;

    public CrashReport {
        problems = List.copyOf(problems);
        lostSamples = List.copyOf(lostSamples);
    }

    public boolean killedBySigkill() {
        return exitCode == SIGKILL_EXIT_CODE;
    }

    public boolean invariantsHold() {
        return problems.isEmpty();
    }

    public boolean lostNothing() {
        return lostReservations == 0 && lostReleases == 0;
    }

    @Override
    public String toString() {
        return String.format("h2 crash %-26s seed %d, %d threads: exit %d after %d ms; acknowledged %d reservations"
                        + " and %d releases; %d rows after reopening; LOST %d acknowledged reservations and %d releases;"
                        + " %d rows committed but never acknowledged; invariants %s%s%s",
                setting.cliName(), seed, threads, exitCode, millisUntilKill, acknowledgedReservations,
                acknowledgedReleases, rows, lostReservations, lostReleases, unacknowledgedRows,
                problems.isEmpty() ? "hold" : "BROKEN " + problems,
                lostSamples.isEmpty() ? "" : "; lost e.g. " + lostSamples,
                "\n  rerun: mvn -q -pl stress-tests -am compile exec:exec@crash -Dcrash.args=\"--setting "
                        + setting.cliName() + " --seed " + seed + " --threads " + threads + "\"");
    }
}
