package dev.capacity.stress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.stress.internal.NaiveCheckThenActStrategy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@link RaceTable}: registered in a class of {@code @AllStrategies} races, it reports every
 * strategy side by side when the class is done, as text and as an HTML page; a race that went
 * wrong is marked in both, with its problems.
 */
final class RaceTableTest {


    @TempDir
    static Path directory;

    @Test
    void afterAll_racesOfEveryStrategy_areReportedSideBySideAsTextAndHtml() throws Exception {
        EveryStrategy.printed.clear();

        OnlyThroughTheTestKit.run(EveryStrategy.class).testEvents().assertStatistics(stats -> stats.started(6).succeeded(6));

        assertThat(EveryStrategy.printed).hasSize(1);
        List<String> lines = EveryStrategy.printed.get(0).lines().toList();
        assertThat(lines.get(0)).startsWith("strategy").contains("calls/s", "p50 ms", "p90 ms", "p99 ms", "verdict");
        assertThat(lines.subList(1, 7)).map(line -> line.split(" +")[0]).containsExactly("h2/optimistic-version",
                "h2/pessimistic-lock", "h2/conditional-update", "h2/unique-slots", "h2/combining", "memory/in-memory");
        assertThat(lines.subList(1, 6)).allMatch(line -> line.endsWith(" 0  ok"));
        assertThat(lines.get(6)).endsWith(" 0  ok (counters only)");
        // the best database strategy of each measure is marked; the in-memory reference never is
        List<Double> throughputs = lines.subList(1, 6).stream()
                .map(line -> Double.parseDouble(line.split(" +")[6].replace("*", "").replace(",", ""))).toList();
        double best = throughputs.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        for (int i = 0; i < 5; i++) {
            assertThat(lines.get(1 + i).split(" +")[6].startsWith("*")).isEqualTo(throughputs.get(i) == best);
        }
        assertThat(lines.get(6)).doesNotContain("*");
        assertThat(lines.get(7)).isEqualTo("* best database strategy in its column");

        String html = Files.readString(directory.resolve("every-strategy.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<title>EveryStrategy</title>")
                .contains("<td>h2/combining</td>", "<td>memory/in-memory</td>", "<h2>calls per second</h2>",
                        "<h2>p99 latency, ms</h2>")
                .doesNotContain("went wrong");
        assertThat(html.split("<rect ", -1)).hasSize(1 + 2 * 6);
    }

    @Test
    void text_raceThatWentWrong_isMarkedWithItsProblems() {
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:race-table-test;DB_CLOSE_DELAY=-1", "sa", "")) {
            CapacitySchema.install(pool.jdbi());
            ReservationStrategy naive = new NaiveCheckThenActStrategy(pool.jdbi(), 3);
            RaceResult broken = Race.against(naive).tables(pool.jdbi()).resource("last-seats", 2).threads(3)
                    .callsPerThread(1).run(call -> naive.reserve(call.request()));
            ReservationStrategy sound = dev.capacity.jdbc.JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi());
            RaceResult ok = Race.against(sound).tables(pool.jdbi()).resource("other-seats", 2).threads(3)
                    .run(call -> sound.reserve(call.request()));

            RaceTable table = RaceTable.of(List.of(broken, ok));

            assertThat(table.text()).contains("WENT WRONG", "naive-check-then-act went wrong (seed " + broken.seed() + "):",
                    "  last-seats: ");
            assertThat(table.html()).contains("class=\"bad\"", " went wrong (seed " + broken.seed() + ")</h2>");
        }
    }

    @Test
    void of_nullResult_isRefused() {
        assertThatThrownBy(() -> RaceTable.of(java.util.Arrays.asList((RaceResult) null)))
                .isInstanceOf(NullPointerException.class).hasMessage("results holds null");
        assertThatThrownBy(() -> RaceTable.reportingTo(null)).hasMessage("sink");
    }


    @ExtendWith(OnlyThroughTheTestKit.class)
    static final class EveryStrategy {
        static final List<String> printed = new CopyOnWriteArrayList<>();

        @RegisterExtension
        static final RaceTable TABLE = RaceTable.reportingTo(printed::add).htmlTo(directory.resolve("every-strategy.html"));

        @ParameterizedTest(name = "{0}")
        @AllStrategies
        void race(ReservationStrategy strategy) {
            TABLE.add(Race.against(strategy).resource("seats", 10).threads(4).run(call -> strategy.reserve(call.request())))
                    .assertCorrect();
        }
    }
}
