package dev.capacity.stress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.CapacityException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code @AllStrategies} with its default, H2: six invocations, one per strategy, each named
 * {@code <database>/<strategy>}, each on a fresh schema, each strategy closed when its invocation
 * ends.
 */
final class AllStrategiesTest {

    private static final Invocations INVOCATIONS = new Invocations("h2");

    @ParameterizedTest(name = "{0}")
    @AllStrategies
    void allStrategies_default_everyStrategyOnAFreshH2Schema(ReservationStrategy strategy, TestInfo info) {
        INVOCATIONS.soldOutOnAFreshSchema(strategy, info);
    }

    @AfterAll
    static void ranOncePerStrategyAndClosedEach() {
        INVOCATIONS.ranAndClosed("h2/optimistic-version", "h2/pessimistic-lock", "h2/conditional-update",
                "h2/unique-slots", "h2/combining", "memory/in-memory");
    }

    /** What the invocations of one {@code @AllStrategies} test saw, in order. */
    static final class Invocations {
        private final List<String> databases = new ArrayList<>();
        private final List<String> names = new ArrayList<>();
        private final List<ReservationStrategy> strategies = new ArrayList<>();

        Invocations(String... databases) {
            this.databases.addAll(List.of(databases));
            this.databases.add("memory");
        }

        /**
         * The same resource, sold out, in every invocation: on a shared schema the second counter
         * strategy would find it sold out, and unique-slots would find it in the other family. The
         * previous invocation's strategy must be closed by now (its pool, and itself for combining).
         */
        void soldOutOnAFreshSchema(ReservationStrategy strategy, TestInfo info) {
            String database = info.getDisplayName().split("/")[0];
            assertThat(database).isIn(databases);
            assertThat(info.getDisplayName()).isEqualTo(database + "/" + strategy.name());
            if (!strategies.isEmpty()) {
                assertClosed(strategies.get(strategies.size() - 1));
            }
            names.add(info.getDisplayName());
            strategies.add(strategy);

            strategy.define("seats", 3);
            ReservationResult result = strategy.reserve(ReservationRequest.of("seats", "ada").withQuantity(3));

            assertThat(result.status()).as(info.getDisplayName()).isEqualTo(ReservationResult.Status.RESERVED);
            assertThat(strategy.availability("seats")).get().satisfies(a -> {
                assertThat(a.capacity()).isEqualTo(3);
                assertThat(a.available()).isZero();
            });
        }

        void ranAndClosed(String... expectedNames) {
            assertThat(names).containsExactly(expectedNames);
            strategies.stream().filter(s -> !s.name().equals("in-memory")).forEach(Invocations::assertClosed);
        }

        /** Its pool is closed and its database gone; a combining strategy is closed itself too. */
        private static void assertClosed(ReservationStrategy strategy) {
            assertThatThrownBy(() -> strategy.availability("seats"))
                    .as("%s after its invocation", strategy.name())
                    .isInstanceOf(CapacityException.class);
            if (strategy.name().equals("combining")) {
                assertThatThrownBy(() -> strategy.reserve(ReservationRequest.of("seats", "bob")))
                        .as("combining after its invocation")
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("the combining strategy is closed");
            }
        }
    }
}
