package dev.capacity.stress.faults;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.stream.IntStream;

/** The fault suite's round orders: each a permutation, and together balanced for what comes first. */
final class FaultSuiteOrderTest {

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6})
    void everyRaceFollowsEveryOtherEquallyOften_overOneCycleOfRounds(int n) {
        int rows = n % 2 == 0 ? n : 2 * n;
        int[][] follows = new int[n][n];
        int[][] position = new int[n][n];
        for (int round = 0; round < rows; round++) {
            int[] order = FaultSuite.order(n, round);
            assertThat(Arrays.stream(order).sorted().toArray()).as("round %d: %s", round, Arrays.toString(order))
                    .containsExactly(IntStream.range(0, n).toArray());
            for (int i = 0; i < n; i++) {
                position[order[i]][i]++;
                if (i > 0) {
                    follows[order[i - 1]][order[i]]++;
                }
            }
        }
        int times = rows / n;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                assertThat(follows[a][b]).as("%d right after %d", b, a).isEqualTo(a == b ? 0 : times);
                assertThat(position[a][b]).as("%d at position %d", a, b).isEqualTo(times);
            }
        }
        // the cycle repeats
        assertThat(FaultSuite.order(n, rows)).containsExactly(FaultSuite.order(n, 0));
    }
}
