package dev.capacity.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TableSnapshot;
import dev.capacity.jdbc.testing.TestDatabase;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Each bad input of the contract is refused with an exception whose message names the argument,
 * before anything is written: the tables are compared row by row before and after.
 */
final class BadInputTest {

    private static final String PREFIX = "badinput_";

    record BadCall(String description, Consumer<ReservationStrategy> call, Class<? extends Exception> type,
                   String argument) {
        @Override
        public String toString() {
            return description;
        }
    }

    static List<BadCall> badCalls(String existing) {
        return List.of(
                new BadCall("reserve(null)", s -> s.reserve(null), NullPointerException.class, "request"),
                new BadCall("define(null, 1)", s -> s.define(null, 1), NullPointerException.class, "resourceId"),
                new BadCall("define(\"\", 1)", s -> s.define("", 1), IllegalArgumentException.class, "resourceId"),
                new BadCall("define(blank, 1)", s -> s.define(" \t ", 1), IllegalArgumentException.class, "resourceId"),
                new BadCall("define(201 characters, 1)", s -> s.define("r".repeat(201), 1),
                        IllegalArgumentException.class, "resourceId"),
                new BadCall("define(control character, 1)", s -> s.define("run\u0000", 1),
                        IllegalArgumentException.class, "resourceId"),
                new BadCall("define(id, -1)", s -> s.define("new-run", -1), IllegalArgumentException.class, "capacity"),
                new BadCall("define(existing, -1)", s -> s.define(existing, -1), IllegalArgumentException.class,
                        "capacity"),
                new BadCall("resize(existing, -1)", s -> s.resize(existing, -1), IllegalArgumentException.class,
                        "newCapacity"),
                new BadCall("resize(null, 1)", s -> s.resize(null, 1), NullPointerException.class, "resourceId"),
                new BadCall("resize(\"\", 1)", s -> s.resize("", 1), IllegalArgumentException.class, "resourceId"),
                new BadCall("adjust(null, 1)", s -> s.adjust(null, 1), NullPointerException.class, "resourceId"),
                new BadCall("adjust(\" \", 1)", s -> s.adjust(" ", 1), IllegalArgumentException.class, "resourceId"),
                new BadCall("adjust(existing, -4)", s -> s.adjust(existing, -4), IllegalStateException.class, existing),
                new BadCall("availability(null)", s -> s.availability(null), NullPointerException.class, "resourceId"),
                new BadCall("release(0)", s -> s.release(0), IllegalArgumentException.class, "reservationId"),
                new BadCall("release(-1)", s -> s.release(-1), IllegalArgumentException.class, "reservationId"));
    }

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void everyBadCall_isRejectedNamingTheArgument_andWritesNothing(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy(StrategyOptions.builder().tablePrefix(PREFIX).build());
        String existing = StrategyFixture.newId("existing");
        strategy.define(existing, 3);
        strategy.reserve(ReservationRequest.of(existing, "h"));
        Map<String, List<String>> before = fixture.hasDatabase() ? snapshot(fixture.database()) : null;

        for (BadCall bad : badCalls(existing)) {
            assertThatThrownBy(() -> bad.call().accept(strategy))
                    .as(bad.description()).isInstanceOf(bad.type()).hasMessageContaining(bad.argument());
        }

        if (fixture.hasDatabase()) {
            assertThat(snapshot(fixture.database())).isEqualTo(before);
        }
        assertThat(strategy.availability(existing).orElseThrow().reserved()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void jdbiCalls_withBadArguments_areRejectedNamingTheArgument(TestDatabase database) {
        JdbiReservationStrategy strategy = (JdbiReservationStrategy) StrategyFixture
                .of(StrategyKind.CONDITIONAL_UPDATE, database).strategy(StrategyOptions.builder().tablePrefix(PREFIX).build());
        Map<String, List<String>> before = snapshot(database);

        assertThatThrownBy(() -> strategy.reserve(null, ReservationRequest.of("run", "h")))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("handle");
        assertThatThrownBy(() -> database.jdbi(PREFIX).useTransaction(h -> strategy.reserve(h, null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("request");
        assertThatThrownBy(() -> database.jdbi(PREFIX).useTransaction(h -> strategy.release(h, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reservationId");
        assertThatThrownBy(() -> JdbiStrategies.of(null, database.jdbi()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("kind");
        assertThatThrownBy(() -> JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("jdbi");
        assertThatThrownBy(() -> JdbiStrategies.of(StrategyKind.IN_MEMORY, database.jdbi()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kind");

        assertThat(snapshot(database)).isEqualTo(before);
    }

    private static Map<String, List<String>> snapshot(TestDatabase database) {
        return TableSnapshot.of(database.jdbi(PREFIX), PREFIX);
    }
}
