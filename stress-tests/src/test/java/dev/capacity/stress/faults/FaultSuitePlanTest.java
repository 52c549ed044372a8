package dev.capacity.stress.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.stress.internal.Scenario;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The fault suite's race plan keeps the shape its Javadoc promises, for any seed. */
final class FaultSuitePlanTest {

    @Test
    void everyThreadTakesTurnsOfReserveOrOrderConfirmRelease_andDoubleSubmitsComeFromTheNextThreadAtTheSameTurn() {
        for (long seed = 0; seed < 50; seed++) {
            Scenario.Plan plan = FaultSuite.racePlan("p-", 8, 64, seed);

            assertThat(plan.capacities()).containsOnlyKeys("p-a", "p-b").allSatisfy((id, units) -> assertThat(units).isEqualTo(8));
            assertThat(plan.limits()).containsExactly(Map.entry("p-a", FaultSuite.HOLDER_LIMIT));
            Map<String, int[]> keyed = new HashMap<>(); // key -> {threads sending it, the turn}
            long turns = 0;
            long keys = 0;
            long holds = 0;
            long advances = 0;
            long orders = 0;
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
                    // at most one reservation (or order) held: each is followed by its confirm, if a hold, and a release
                    String key;
                    Duration hold;
                    if (script.get(i) instanceof Scenario.Order order) {
                        i++;
                        assertThat(order.lines()).as(where).hasSize(2);
                        assertThat(order.lines()).extracting(Scenario.Reserve::resourceId).as(where)
                                .containsExactlyInAnyOrder("p-a", "p-b");
                        assertThat(order.lines()).allSatisfy(line -> {
                            assertThat(line.holderId()).isEqualTo(order.name());
                            assertThat(line.quantity()).isBetween(1, 2);
                            assertThat(line.hold()).isEqualTo(order.lines().get(0).hold());
                            assertThat(line.key().isEmpty()).isEqualTo(order.lines().get(0).key().isEmpty());
                        });
                        key = order.lines().get(0).key();
                        hold = order.lines().get(0).hold();
                        if (hold != null) {
                            assertThat(script.get(i++)).as(where).isEqualTo(new Scenario.ConfirmOrder(order.name()));
                        }
                        assertThat(script.get(i++)).as(where).isEqualTo(new Scenario.ReleaseOrder(order.name()));
                        orders++;
                    } else {
                        assertThat(script.get(i)).as(where).isInstanceOf(Scenario.Reserve.class);
                        Scenario.Reserve reserve = (Scenario.Reserve) script.get(i++);
                        assertThat(reserve.quantity()).isBetween(1, 3);
                        assertThat(reserve.holderId()).isIn("buyer-0", "buyer-1", "buyer-2");
                        key = reserve.key();
                        hold = reserve.hold();
                        if (hold != null) {
                            assertThat(script.get(i++)).as(where).isEqualTo(new Scenario.Confirm(reserve.holderId()));
                        }
                        assertThat(script.get(i++)).as(where).isInstanceOf(Scenario.ReleaseHeld.class);
                    }
                    if (hold != null) {
                        assertThat(hold).as(where).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(60));
                        holds++;
                    }
                    turns++;
                    if (!key.isEmpty()) {
                        int at = turn;
                        int[] seen = keyed.computeIfAbsent(key, k -> new int[] {0, at});
                        seen[0]++;
                        assertThat(seen[1]).as("a double submit is sent at the same turn").isEqualTo(turn);
                        keys++;
                    }
                }
            }
            assertThat(keyed.values()).allSatisfy(seen -> assertThat(seen[0]).isBetween(1, 2));
            // a quarter keyed, a third of those doubled, half holds, a quarter orders, a quarter of the
            // turns after a move of the clock: loosely, so that any seed passes but a lost rule does not
            assertThat(keyed).isNotEmpty();
            assertThat(keyed.values().stream().filter(seen -> seen[0] == 2)).isNotEmpty();
            assertThat((double) keys / turns).isBetween(0.1, 0.45);
            assertThat((double) holds / turns).isBetween(0.3, 0.7);
            assertThat((double) orders / turns).isBetween(0.1, 0.4);
            assertThat((double) advances / turns).isBetween(0.1, 0.4);
        }
    }
}
