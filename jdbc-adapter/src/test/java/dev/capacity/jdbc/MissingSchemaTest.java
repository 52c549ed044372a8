package dev.capacity.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult.Status;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.BadInputTest.BadCall;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TestDatabase;

import org.assertj.core.api.SoftAssertions;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

/**
 * A strategy pointed at a database where {@link CapacitySchema#install} never ran: every call is an
 * {@link IllegalStateException} that names the missing tables and says how to create them, and
 * none creates anything.
 */
@ExtendWith(LedgersAddUp.class)
final class MissingSchemaTest {

    private static final String ADVICE = "do not exist in this database; run CapacitySchema.install(jdbi) "
            + "or apply CapacitySchema.ddl(jdbi) first";
    private static final String TABLES = "the capacity tables (capacity_resource, capacity_reservation, capacity_slot)";

    static List<BadCall<JdbiReservationStrategy>> calls(Jdbi jdbi) {
        ReservationRequest request = ReservationRequest.of("run", "h");
        Class<IllegalStateException> ise = IllegalStateException.class;
        return List.of(
                BadCall.<JdbiReservationStrategy>refused("define", s -> s.define("run", 3), ise, TABLES),
                BadCall.refused("resize", s -> s.resize("run", 3), ise, TABLES),
                BadCall.refused("adjust", s -> s.adjust("run", 1), ise, TABLES),
                BadCall.refused("availability", s -> s.availability("run"), ise, TABLES),
                BadCall.refused("reserve", s -> s.reserve(request), ise, TABLES),
                BadCall.refused("reserve with a key", s -> s.reserve(request.withIdempotencyKey("k")), ise, TABLES),
                BadCall.refused("release", s -> s.release(1), ise, ADVICE),
                BadCall.refused("reserve(handle, ...)", s -> jdbi.useTransaction(h -> s.reserve(h, request)), ise, ADVICE),
                BadCall.refused("release(handle, ...)", s -> jdbi.useTransaction(h -> s.release(h, 1)), ise, ADVICE),
                BadCall.refused("adjust(handle, ...)", s -> jdbi.useTransaction(h -> s.adjust(h, "run", 1)), ise, ADVICE));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void everyCall_onADatabaseWithoutTheTables_saysToInstallThem_andCreatesNothing(TestDatabase database) {
        try (CapacityPool pool = CapacityPool.open(database.freshJdbcUrl(), database.user(), database.password(), 4)) {
            Jdbi jdbi = pool.jdbi();
            List<String> before = tables(jdbi);

            for (StrategyKind kind : StrategyFixture.JDBI_KINDS) {
                try (JdbiReservationStrategy strategy = JdbiStrategies.of(kind, jdbi)) {
                    SoftAssertions.assertSoftly(softly -> calls(jdbi).forEach(call -> call.check(softly, strategy)));
                }
            }

            assertThat(tables(jdbi)).as("nothing was created").isEqualTo(before).isEmpty();

            // and the advice works
            CapacitySchema.install(jdbi);
            JdbiReservationStrategy strategy = JdbiStrategies.conditionalUpdate(jdbi);
            strategy.define("run", 1);
            assertThat(strategy.reserve(ReservationRequest.of("run", "h")).status()).isEqualTo(Status.RESERVED);
        }
    }

    /** The tables of the database's default schema. */
    private static List<String> tables(Jdbi jdbi) {
        return jdbi.withHandle(h -> h.createQuery("SELECT LOWER(table_name) FROM information_schema.tables "
                + "WHERE LOWER(table_schema) = 'public' ORDER BY 1").mapTo(String.class).list());
    }
}
