package dev.capacity.jdbc.testing;

import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.testing.Race.Decision;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The race of the problem statement, as the tests run it: callers, each a patient client
 * ({@link Race#decide}), race for the last units of a resource. No more may be sold than is left
 * (invariant 1), and no unit may be left that a caller asked for and did not get (invariant 2),
 * whether the strategy refused it or kept answering CONTENDED until the caller gave up.
 */
public final class LastUnits {

    private LastUnits() {}

    /**
     * Defines {@code run} with {@code capacity} units, sells all but {@code left} of them to an
     * early holder, then every thread of {@code race} asks for one unit at once; exactly
     * {@code left} must be granted and the others refused.
     *
     * @param where the round and its seed, for the failure messages
     * @return each thread's last answer, in thread order
     */
    public static List<ReservationResult> race(Race race, ReservationStrategy strategy, String run, int capacity,
                                               int left, String where) {
        return race(race, strategy, run, capacity, left, Race.PATIENCE, where);
    }

    /** {@link #race(Race, ReservationStrategy, String, int, int, String)} with clients of {@code patience}. */
    public static List<ReservationResult> race(Race race, ReservationStrategy strategy, String run, int capacity,
                                               int left, Duration patience, String where) {
        strategy.define(run, capacity);
        if (capacity > left) {
            assertThat(strategy.reserve(ReservationRequest.of(run, "early").withQuantity(capacity - left)).status())
                    .as(where).isEqualTo(RESERVED);
        }

        List<Decision> decisions = race.run(i -> Race.decide(strategy, ReservationRequest.of(run, "user-" + i), patience));

        assertNoneUndersold(strategy, run, decisions, where);
        List<ReservationResult> results = decisions.stream().map(Decision::result).toList();
        long granted = results.stream().filter(r -> r.status() == RESERVED).count();
        assertThat(granted).as("oversold = %d, undersold = %d in %s", Math.max(0, granted - left),
                Math.max(0, left - granted), where).isEqualTo(left);
        assertThat(results).as(where).allMatch(r -> r.status() == RESERVED || r.status() == INSUFFICIENT_CAPACITY);
        return results;
    }

    /**
     * Fails if a request that was not granted asked for no more units than {@code run} has free
     * now (nothing was released during the race, so they were free all along), or if a client
     * gave up on a request at all.
     *
     * @param where the round and its seed, for the failure message
     */
    public static void assertNoneUndersold(ReservationStrategy strategy, String run, List<Decision> decisions,
                                           String where) {
        long free = strategy.availability(run).orElseThrow().available();
        List<Decision> unsold = decisions.stream()
                .filter(d -> !d.result().isReserved() && d.request().quantity() <= free).toList();
        if (!unsold.isEmpty()) {
            throw new AssertionError(String.format(Locale.ROOT, "undersold: %d unit%s of '%s' never sold: %s, in %s",
                    free, free == 1 ? "" : "s", run, how(unsold, decisions.size()), where));
        }
        List<Decision> gaveUp = decisions.stream().filter(Decision::gaveUp).toList();
        if (!gaveUp.isEmpty()) {
            throw new AssertionError(String.format(Locale.ROOT, "stuck: %s with nothing left (the answer is"
                    + " INSUFFICIENT_CAPACITY), in %s", how(gaveUp, decisions.size()), where));
        }
    }

    /** What the clients of {@code unsold} saw, in a few words. */
    private static String how(List<Decision> unsold, int clients) {
        List<Decision> gaveUp = unsold.stream().filter(Decision::gaveUp).toList();
        long refused = unsold.size() - gaveUp.size();
        String what = String.format(Locale.ROOT, "%d of %d clients ", unsold.size(), clients);
        if (!gaveUp.isEmpty()) {
            Decision longest = gaveUp.stream().max(Comparator.comparingLong(Decision::nanos)).orElseThrow();
            what += String.format(Locale.ROOT, "gave up after %.1f s of retries (%d CONTENDED answers)",
                    longest.nanos() / 1e9, longest.answers());
        }
        if (refused > 0) {
            what += (gaveUp.isEmpty() ? "were" : ", " + refused) + " refused (INSUFFICIENT_CAPACITY)";
        }
        return what;
    }
}
