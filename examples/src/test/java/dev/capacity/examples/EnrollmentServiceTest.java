package dev.capacity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationStrategy;
import dev.capacity.examples.EnrollmentService.Outcome;
import dev.capacity.stress.AllStrategies;
import dev.capacity.stress.Race;
import dev.capacity.stress.RaceResult;
import dev.capacity.stress.RaceTable;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;

import java.nio.file.Path;

/**
 * The service on every strategy, on H2 and on an embedded PostgreSQL: each test gets a strategy
 * of its own on a fresh schema, and the {@link Jdbi} of that schema for the service's own table.
 * The races print every strategy side by side when the class is done, and write
 * {@code target/enrollment-race.html}.
 */
final class EnrollmentServiceTest {

    @RegisterExtension
    static final RaceTable RACES = RaceTable.reportingTo(System.out::println).htmlTo(Path.of("target/enrollment-race.html"));

    private static EnrollmentService service(ReservationStrategy strategy, Jdbi jdbi, int seats) {
        EnrollmentService service = new EnrollmentService(strategy, jdbi);
        service.createTable();
        service.openCourse("java-101", seats);
        return service;
    }

    @ParameterizedTest(name = "{0}")
    @AllStrategies(databases = {"h2", "postgres"})
    void enroll_lastSeat_theNextStudentIsTurnedAway(ReservationStrategy strategy, Jdbi jdbi) {
        EnrollmentService service = service(strategy, jdbi, 1);

        assertThat(service.enroll("java-101", "ada", "press-1").outcome()).isEqualTo(Outcome.ENROLLED);
        assertThat(service.enroll("java-101", "ada", "press-1").outcome()).isEqualTo(Outcome.ALREADY_ENROLLED);
        assertThat(service.enroll("java-101", "grace", "press-2").outcome()).isEqualTo(Outcome.FULL);
        assertThat(service.enrolled("java-101")).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @AllStrategies(databases = {"h2", "postgres"})
    void enroll_32StudentsRaceFor20Seats_neverOversellsAndEverySeatHasItsRow(ReservationStrategy strategy, Jdbi jdbi) {
        EnrollmentService service = service(strategy, jdbi, 20);

        RaceResult race = RACES.add(Race.against(strategy).resource("java-101").threads(32)
                .run(call -> service.enroll(call.resourceId(), call.holderId(), call.idempotencyKey()).seat()));

        race.assertCorrect();
        assertThat(race.reservedUnits()).isEqualTo(20);
        assertThat(service.enrolled("java-101")).isEqualTo(20);
    }

    @ParameterizedTest(name = "{0}")
    @AllStrategies(databases = {"h2", "postgres"})
    void enroll_everyPressSentTwice_oneSeatAndOneRowPerStudent(ReservationStrategy strategy, Jdbi jdbi) {
        EnrollmentService service = service(strategy, jdbi, 20);

        RaceResult race = Race.against(strategy).resource("java-101").threads(8).doubleSubmits()
                .run(call -> service.enroll(call.resourceId(), call.holderId(), call.idempotencyKey()).seat());

        race.assertCorrect();
        assertThat(race.reservedUnits()).isEqualTo(20);
        assertThat(race.replayed()).isPositive(); // the second press, answered with the first one's seat
        assertThat(service.enrolled("java-101")).isEqualTo(20);
    }
}
