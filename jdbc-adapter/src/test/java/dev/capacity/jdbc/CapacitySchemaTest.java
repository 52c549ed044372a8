package dev.capacity.jdbc;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.Race;
import dev.capacity.jdbc.testing.TestDatabase;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

@ExtendWith(LedgersAddUp.class)
final class CapacitySchemaTest {

    private static StrategyOptions prefixed(String prefix) {
        return StrategyOptions.builder().tablePrefix(prefix).build();
    }

    private static String freshPrefix() {
        return ("t" + newId("").replace("-", "")).toLowerCase(Locale.ROOT).substring(0, 12) + "_";
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void install_twice_isIdempotent(TestDatabase database) {
        Jdbi jdbi = database.pool().jdbi();
        String prefix = freshPrefix();

        CapacitySchema.install(jdbi, prefixed(prefix));
        LedgersAddUp.watch(database, prefix);
        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi, prefixed(prefix));
        String run = newId("run");
        strategy.define(run, 2);
        strategy.reserve(ReservationRequest.of(run, "h"));
        CapacitySchema.install(jdbi, prefixed(prefix));

        assertThat(strategy.availability(run)).contains(new Availability(run, 2, 1));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void install_fromManyThreadsAtOnce_succeeds(TestDatabase database) {
        Jdbi jdbi = database.pool().jdbi();
        String prefix = freshPrefix();

        try (Race race = new Race(8)) {
            race.run(i -> {
                CapacitySchema.install(jdbi, prefixed(prefix));
                return i;
            });
        }

        ReservationStrategy strategy = JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, jdbi, prefixed(prefix));
        strategy.define("run", 2);
        assertThat(strategy.availability("run")).contains(new Availability("run", 2, 0));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void ddl_appliedByHand_givesTheTablesTheStrategiesUse(TestDatabase database) {
        Jdbi jdbi = database.pool().jdbi();
        String prefix = freshPrefix();
        String ddl = CapacitySchema.ddl(jdbi, prefixed(prefix));

        assertThat(ddl).contains("CREATE TABLE IF NOT EXISTS " + prefix + "resource",
                "CREATE TABLE IF NOT EXISTS " + prefix + "reservation", "CREATE TABLE IF NOT EXISTS " + prefix + "slot",
                "UNIQUE (idempotency_key)", "PRIMARY KEY (resource_id, slot)");
        List<String> statements = Arrays.stream(ddl.split(";\\s*\\n")).map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
        jdbi.useHandle(h -> statements.forEach(h::execute));
        LedgersAddUp.watch(database, prefix);

        for (StrategyKind kind : List.of(StrategyKind.OPTIMISTIC_VERSION, StrategyKind.UNIQUE_SLOTS)) {
            ReservationStrategy strategy = JdbiStrategies.of(kind, jdbi, prefixed(prefix));
            String run = newId("run");
            strategy.define(run, 1);
            assertThat(strategy.reserve(ReservationRequest.of(run, "h")).isReserved()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void strategy_onADatabaseWithoutTheTables_failsSayingHowToInstallThem(TestDatabase database) {
        Jdbi jdbi = database.pool().jdbi();
        String prefix = freshPrefix();

        for (StrategyKind kind : List.of(StrategyKind.CONDITIONAL_UPDATE, StrategyKind.UNIQUE_SLOTS)) {
            ReservationStrategy strategy = JdbiStrategies.of(kind, jdbi, prefixed(prefix));
            assertThatThrownBy(() -> strategy.reserve(ReservationRequest.of("run", "h")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(prefix + "resource").hasMessageContaining("CapacitySchema.install");
            assertThatThrownBy(() -> strategy.define("run", 1))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("CapacitySchema.install");
        }
    }

    /** 0.1 ran on H2 and PostgreSQL only: no MariaDB database has its tables. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestDatabase.class, names = {"H2_MEM", "H2_FILE", "POSTGRES"})
    void install_onTheTablesOf01_addsWhatHoldsNeedAndKeepsTheRows(TestDatabase database) {
        Jdbi jdbi = database.pool().jdbi();
        String prefix = freshPrefix();
        String run = newId("run");
        String id = database == TestDatabase.POSTGRES ? "VARCHAR(200)" : "VARCHAR(400)";
        // the tables as capacity 0.1 created them, with a reservation in them
        jdbi.useHandle(h -> {
            h.execute("CREATE TABLE " + prefix + "resource (id " + id + " NOT NULL PRIMARY KEY, family VARCHAR(16) NOT NULL,"
                    + " capacity BIGINT NOT NULL, reserved BIGINT NOT NULL DEFAULT 0, version BIGINT NOT NULL DEFAULT 0)");
            h.execute("CREATE TABLE " + prefix + "reservation (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                    + " resource_id " + id + " NOT NULL, holder_id " + id + " NOT NULL, quantity INTEGER NOT NULL,"
                    + " idempotency_key " + id + ", created_at TIMESTAMP WITH TIME ZONE NOT NULL,"
                    + " released_at TIMESTAMP WITH TIME ZONE, CONSTRAINT " + prefix + "reservation_key UNIQUE (idempotency_key))");
            h.execute("CREATE TABLE " + prefix + "slot (resource_id " + id + " NOT NULL, slot BIGINT NOT NULL,"
                    + " reservation_id BIGINT NOT NULL, CONSTRAINT " + prefix + "slot_pk PRIMARY KEY (resource_id, slot))");
            h.execute("INSERT INTO " + prefix + "resource (id, family, capacity, reserved) VALUES ('" + run + "', 'counter', 3, 1)");
            h.execute("INSERT INTO " + prefix + "reservation (resource_id, holder_id, quantity, created_at)"
                    + " VALUES ('" + run + "', 'early', 1, CURRENT_TIMESTAMP)");
        });
        LedgersAddUp.watch(database, prefix);

        CapacitySchema.install(jdbi, prefixed(prefix));

        JdbiReservationStrategy strategy = JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi, prefixed(prefix));
        long early = jdbi.withHandle(h -> h.createQuery("SELECT id FROM " + prefix + "reservation").mapTo(Long.class).one());
        assertThat(strategy.confirm(early)).as("a 0.1 reservation is permanent").isEqualTo(HoldStatus.ALREADY_CONFIRMED);
        long hold = strategy.reserve(ReservationRequest.of(run, "cart").withHold(Duration.ofMinutes(5))).reservation().id();
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 2, 1));
        assertThat(strategy.confirm(hold)).isEqualTo(HoldStatus.CONFIRMED);
        assertThat(strategy.release(early)).isTrue();
        assertThat(strategy.availability(run)).contains(new Availability(run, 3, 1, 0));
    }
}
