package dev.capacity.stress.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.stress.Scenario;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The fault suite's race plan keeps the shape its Javadoc promises, for any seed. */
final class FaultSuitePlanTest {

    @Test
    void everyThreadTakesTurnsOfReserveConfirmRelease_andDoubleSubmitsComeFromTheNextThreadAtTheSameTurn() {
        for (long seed = 0; seed < 50; seed++) {
            Scenario.Plan plan = FaultSuite.racePlan("p-", 8, 64, seed);

            assertThat(plan.capacities()).containsOnlyKeys("p-a", "p-b").allSatisfy((id, units) -> assertThat(units).isEqualTo(8));
            Map<String, int[]> keyed = new HashMap<>(); // key -> {threads sending it, the turn}
            long reserves = 0;
            long keys = 0;
            long holds = 0;
            long advances = 0;
            for (int t = 0; t < plan.scripts().size(); t++) {
                List<Scenario.Step> script = plan.scripts().get(t);
                int turn = 0;
                for (int i = 0; i < script.size(); turn++) {
                    String where = String.format("seed %d thread %d step %d", seed, t, i);
                    if (script.get(i) instanceof Scenario.Advance advance) {
                        assertThat(advance.by()).as(where).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(20));
                        advances++;
                        i++;
                    }
                    // at most one reservation held: each reserve is followed by its confirm, if a hold, and a release
                    assertThat(script.get(i)).as(where).isInstanceOf(Scenario.Reserve.class);
                    Scenario.Reserve reserve = (Scenario.Reserve) script.get(i++);
                    assertThat(reserve.quantity()).isBetween(1, 3);
                    if (reserve.hold() != null) {
                        assertThat(reserve.hold()).as(where).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(60));
                        assertThat(script.get(i++)).as(where).isEqualTo(new Scenario.Confirm(reserve.holderId()));
                        holds++;
                    }
                    assertThat(script.get(i++)).as(where).isInstanceOf(Scenario.ReleaseHeld.class);
                    reserves++;
                    if (!reserve.key().isEmpty()) {
                        int at = turn;
                        int[] seen = keyed.computeIfAbsent(reserve.key(), k -> new int[] {0, at});
                        seen[0]++;
                        assertThat(seen[1]).as("a double submit is sent at the same turn").isEqualTo(turn);
                        keys++;
                    }
                }
            }
            assertThat(keyed.values()).allSatisfy(seen -> assertThat(seen[0]).isBetween(1, 2));
            // a quarter keyed, a third of those doubled, half holds, a quarter of the turns after a
            // move of the clock: loosely, so that any seed passes but a lost rule does not
            assertThat(keyed).isNotEmpty();
            assertThat(keyed.values().stream().filter(seen -> seen[0] == 2)).isNotEmpty();
            assertThat((double) keys / reserves).isBetween(0.1, 0.45);
            assertThat((double) holds / reserves).isBetween(0.3, 0.7);
            assertThat((double) advances / reserves).isBetween(0.1, 0.4);
        }
    }
}
