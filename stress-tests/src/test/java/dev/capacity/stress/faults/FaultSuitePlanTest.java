package dev.capacity.stress.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.stress.Scenario;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The fault suite's race plan keeps the shape its Javadoc promises, for any seed. */
final class FaultSuitePlanTest {

    @Test
    void everyThreadAlternatesOneReserveWithOneRelease_andDoubleSubmitsComeFromTheNextThreadAtTheSameTurn() {
        for (long seed = 0; seed < 50; seed++) {
            Scenario.Plan plan = FaultSuite.racePlan("p-", 8, 64, seed);

            assertThat(plan.capacities()).containsOnlyKeys("p-a", "p-b").allSatisfy((id, units) -> assertThat(units).isEqualTo(8));
            Map<String, int[]> keyed = new HashMap<>(); // key -> {threads sending it, the turn}
            long reserves = 0;
            long keys = 0;
            for (int t = 0; t < plan.scripts().size(); t++) {
                List<Scenario.Step> script = plan.scripts().get(t);
                assertThat(script.size() % 2).as("seed %d thread %d", seed, t).isZero();
                for (int i = 0; i < script.size(); i += 2) {
                    // at most one reservation held: each reserve is followed by a release
                    assertThat(script.get(i)).isInstanceOf(Scenario.Reserve.class);
                    assertThat(script.get(i + 1)).isInstanceOf(Scenario.ReleaseHeld.class);
                    Scenario.Reserve reserve = (Scenario.Reserve) script.get(i);
                    assertThat(reserve.quantity()).isBetween(1, 3);
                    reserves++;
                    if (!reserve.key().isEmpty()) {
                        int turn = i / 2;
                        int[] seen = keyed.computeIfAbsent(reserve.key(), k -> new int[] {0, turn});
                        seen[0]++;
                        assertThat(seen[1]).as("a double submit is sent at the same turn").isEqualTo(turn);
                        keys++;
                    }
                }
            }
            assertThat(keyed.values()).allSatisfy(seen -> assertThat(seen[0]).isBetween(1, 2));
            // a quarter keyed, a third of those doubled: loosely, so that any seed passes but a lost key rule does not
            assertThat(keyed).isNotEmpty();
            assertThat(keyed.values().stream().filter(seen -> seen[0] == 2)).isNotEmpty();
            assertThat((double) keys / reserves).isBetween(0.1, 0.45);
        }
    }
}
