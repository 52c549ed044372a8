package dev.capacity.examples;

import static dev.capacity.examples.CourseRegistration.Outcome.ALREADY_REGISTERED;
import static dev.capacity.examples.CourseRegistration.Outcome.FULL;
import static dev.capacity.examples.CourseRegistration.Outcome.REGISTERED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.atomic.AtomicLong;

final class CourseRegistrationTest {

    private static final AtomicLong RUNS = new AtomicLong(1000);
    private static CapacityPool pool;

    @BeforeAll
    static void openDatabase() {
        pool = CapacityPool.open("jdbc:h2:mem:course-test;DB_CLOSE_DELAY=-1", "sa", "", 60);
        CapacitySchema.install(pool.jdbi());
    }

    @AfterAll
    static void closeDatabase() {
        pool.close();
    }

    private static CourseRegistration courses(StrategyKind kind) {
        CourseRegistration courses = new CourseRegistration(pool.dataSource(), kind);
        courses.createTables();
        return courses;
    }

    @ParameterizedTest
    @EnumSource(value = StrategyKind.class, names = {"OPTIMISTIC_VERSION", "PESSIMISTIC_LOCK", "CONDITIONAL_UPDATE",
            "UNIQUE_SLOTS"})
    void register_lastPlaceRacedBy50People_exactlyOneGetsIt(StrategyKind kind) {
        CourseRegistration.Result result = CourseRegistration.lastPlaceRace(courses(kind), RUNS.incrementAndGet(), false);

        assertThat(result.registered()).isEqualTo(1);
        assertThat(result.full()).isEqualTo(CourseRegistration.PEOPLE - 1);
        assertThat(result.attendances()).isEqualTo(CourseRegistration.PLACES);
    }

    @Test
    void registerNaively_sameRace_oversells() {
        CourseRegistration.Result result = CourseRegistration.lastPlaceRace(courses(StrategyKind.CONDITIONAL_UPDATE),
                RUNS.incrementAndGet(), true);

        // every one of the 50 read 19 of 20 before any of them wrote
        assertThat(result.attendances()).isEqualTo(CourseRegistration.ALREADY_TAKEN + CourseRegistration.PEOPLE);
    }

    @Test
    void register_sameUserTwice_holdsOnePlace() {
        CourseRegistration courses = courses(StrategyKind.CONDITIONAL_UPDATE);
        long run = RUNS.incrementAndGet();
        courses.scheduleRun(run, "Intro", 2);

        assertThat(courses.register(run, "ada")).isEqualTo(REGISTERED);
        assertThat(courses.register(run, "ada")).isEqualTo(ALREADY_REGISTERED);
        assertThat(courses.register(run, "grace")).isEqualTo(REGISTERED);
        assertThat(courses.register(run, "linus")).isEqualTo(FULL);
        assertThat(courses.attendances(run)).isEqualTo(2);
    }

    @Test
    void cancel_freesThePlaceForSomeoneElse() {
        CourseRegistration courses = courses(StrategyKind.PESSIMISTIC_LOCK);
        long run = RUNS.incrementAndGet();
        courses.scheduleRun(run, "Intro", 1);
        courses.register(run, "ada");
        assertThat(courses.register(run, "grace")).isEqualTo(FULL);

        assertThat(courses.cancel(run, "ada")).isTrue();
        assertThat(courses.cancel(run, "ada")).isFalse();

        assertThat(courses.register(run, "grace")).isEqualTo(REGISTERED);
        assertThat(courses.register(run, "ada")).isEqualTo(FULL);
        assertThat(courses.attendances(run)).isEqualTo(1);
    }

    @Test
    void main_printsTheOversoldOriginalAndTheFixedStrategies() {
        String output = Printed.byMain(CourseRegistration::main);

        assertThat(output).contains("read-then-insert (the original)", "69 attendances for 20 places  (oversold by 49)",
                "capacity, conditional-update", "capacity, unique-slots", "20 attendances for 20 places  (1 registered");
    }
}
