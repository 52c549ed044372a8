package dev.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

final class StrategyKindTest {

    @Test
    void strategyName_isTheStableName() {
        assertThat(StrategyKind.OPTIMISTIC_VERSION.strategyName()).isEqualTo("optimistic-version");
        assertThat(StrategyKind.PESSIMISTIC_LOCK.strategyName()).isEqualTo("pessimistic-lock");
        assertThat(StrategyKind.CONDITIONAL_UPDATE.strategyName()).isEqualTo("conditional-update");
        assertThat(StrategyKind.UNIQUE_SLOTS.strategyName()).isEqualTo("unique-slots");
        assertThat(StrategyKind.IN_MEMORY.strategyName()).isEqualTo("in-memory");
        assertThat(new InMemoryStrategy().name()).isEqualTo("in-memory");
    }

    @Test
    void fromName_acceptsStableAndConstantNames() {
        assertThat(StrategyKind.fromName("unique-slots")).isEqualTo(StrategyKind.UNIQUE_SLOTS);
        assertThat(StrategyKind.fromName("CONDITIONAL_UPDATE")).isEqualTo(StrategyKind.CONDITIONAL_UPDATE);
        assertThat(StrategyKind.fromName(" In-Memory ")).isEqualTo(StrategyKind.IN_MEMORY);
    }

    @Test
    void fromName_unknown_listsTheKnownNames() {
        assertThatThrownBy(() -> StrategyKind.fromName("optimistic"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'optimistic'").hasMessageContaining("optimistic-version, pessimistic-lock");
    }
}
