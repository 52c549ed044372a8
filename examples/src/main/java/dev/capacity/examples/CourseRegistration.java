package dev.capacity.examples;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPlugin;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.CapacitySqlObject;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.transaction.Transaction;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

/**
 * The course-run problem: a {@code ScheduledRun} has a number of places, users register an
 * {@code Attendance}, and when two people press "register" for the last place at the same moment,
 * both read 19 of 20, both insert, and the run has 21.
 *
 * <p>{@link #register} is the fix: the place is reserved inside the same transaction that inserts
 * the attendance row, so both land or neither does, and the strategy never grants a place that
 * is not there. The attendance table is a Jdbi SqlObject, {@link Attendances}, whose
 * {@code @Transaction} methods reserve and release through {@link CapacitySqlObject}.
 * {@link #registerNaively} is the original read-then-insert with a counter cache, kept to show the
 * bug.
 *
 * <p>Run it: {@code mvn -q -pl examples -am compile exec:java
 * -Dexec.mainClass=dev.capacity.examples.CourseRegistration}.
 *
 * <p>This class is threadsafe.
 */
public final class CourseRegistration {

    /** What a registration came to. */
    public enum Outcome { REGISTERED, ALREADY_REGISTERED, FULL, TRY_AGAIN }

    /** The attendance table; registering and cancelling reserve and release the place in the same transaction. */
    public interface Attendances extends CapacitySqlObject {

        @SqlUpdate("INSERT INTO attendance (scheduled_run_id, user_id, reservation_id) VALUES (:run, :user, :reservation)")
        void insert(@Bind("run") long runId, @Bind("user") String userId, @Bind("reservation") long reservationId);

        @SqlQuery("SELECT reservation_id FROM attendance WHERE scheduled_run_id = :run AND user_id = :user")
        Optional<Long> reservationOf(@Bind("run") long runId, @Bind("user") String userId);

        @SqlUpdate("DELETE FROM attendance WHERE scheduled_run_id = :run AND user_id = :user")
        int delete(@Bind("run") long runId, @Bind("user") String userId);

        @SqlQuery("SELECT COUNT(*) FROM attendance WHERE scheduled_run_id = :run")
        int count(@Bind("run") long runId);

        /**
         * The place and the attendance row, in one transaction. A second registration of the same
         * user hits the attendance's unique key, which rolls back the place it had just reserved.
         */
        @Transaction
        default Outcome register(long runId, String userId) {
            ReservationResult place = reserve(ReservationRequest.of(placesOf(runId), userId));
            switch (place.status()) {
                case RESERVED:
                    insert(runId, userId, place.reservation().id());
                    return Outcome.REGISTERED;
                case INSUFFICIENT_CAPACITY:
                    return Outcome.FULL;
                case CONTENDED:
                    return Outcome.TRY_AGAIN;
                default:
                    throw new IllegalStateException("run " + runId + ": " + place.status());
            }
        }

        /** The attendance goes and the place comes back, in one transaction. */
        @Transaction
        default boolean cancel(long runId, String userId) {
            Optional<Long> reservation = reservationOf(runId, userId);
            return reservation.isPresent() && delete(runId, userId) == 1 && release(reservation.get());
        }
    }

    private final Jdbi jdbi;
    private final JdbiReservationStrategy places;
    private final Attendances attendances;

    /** Registration for runs whose places {@code kind} sells, on the application's pool. */
    public CourseRegistration(DataSource dataSource, StrategyKind kind) {
        this.places = JdbiStrategies.of(kind, dataSource);
        this.jdbi = Jdbi.create(dataSource)
                .installPlugin(new SqlObjectPlugin())
                .installPlugin(CapacityPlugin.of(places));
        this.attendances = jdbi.onDemand(Attendances.class);
    }

    /** The application's own tables, as the Rails models have them. */
    public void createTables() {
        jdbi.useHandle(h -> {
            h.execute("CREATE TABLE IF NOT EXISTS scheduled_run (id BIGINT PRIMARY KEY, course VARCHAR(100) NOT NULL,"
                    + " capacity INTEGER NOT NULL, attendances_count INTEGER NOT NULL DEFAULT 0)");
            h.execute("CREATE TABLE IF NOT EXISTS attendance (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                    + " scheduled_run_id BIGINT NOT NULL, user_id VARCHAR(100) NOT NULL, reservation_id BIGINT,"
                    + " CONSTRAINT attendance_once UNIQUE (scheduled_run_id, user_id))");
        });
    }

    /** Schedules a run with {@code capacity} places, for both the strategy and the counter cache. */
    public void scheduleRun(long runId, String course, int capacity) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO scheduled_run (id, course, capacity) VALUES (:id, :course, :capacity)")
                .bind("id", runId).bind("course", course).bind("capacity", capacity).execute());
        places.define(placesOf(runId), capacity);
    }

    /** Registers {@code userId} for a run: the place and the attendance row commit together or not at all. */
    public Outcome register(long runId, String userId) {
        try {
            return attendances.register(runId, userId);
        } catch (RuntimeException e) {
            if (isDuplicate(e)) {
                return Outcome.ALREADY_REGISTERED;
            }
            throw e;
        }
    }

    /** Cancels a registration: the attendance goes and the place comes back, in one transaction. */
    public boolean cancel(long runId, String userId) {
        return attendances.cancel(runId, userId);
    }

    /**
     * The original controller: read {@code attendances_count}, compare it with the capacity, then
     * insert the attendance and bump the counter cache. Two transactions that both read 19 of 20
     * both insert. {@code betweenCheckAndWrite} runs in that window; the demo uses it to line every
     * thread up there, which makes the race certain instead of likely.
     */
    public Outcome registerNaively(long runId, String userId, Runnable betweenCheckAndWrite) {
        return jdbi.inTransaction(h -> {
            boolean full = h.createQuery("SELECT attendances_count >= capacity FROM scheduled_run WHERE id = :run")
                    .bind("run", runId).mapTo(Boolean.class).one();
            if (full) {
                return Outcome.FULL;
            }
            betweenCheckAndWrite.run();
            h.createUpdate("INSERT INTO attendance (scheduled_run_id, user_id) VALUES (:run, :user)")
                    .bind("run", runId).bind("user", userId).execute();
            h.createUpdate("UPDATE scheduled_run SET attendances_count = attendances_count + 1 WHERE id = :run")
                    .bind("run", runId).execute();
            return Outcome.REGISTERED;
        });
    }

    /** Attendance rows of a run: what the course organiser actually sees. */
    public int attendances(long runId) {
        return attendances.count(runId);
    }

    private static String placesOf(long runId) {
        return "scheduled-run-" + runId;
    }

    private static boolean isDuplicate(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    // ---- the demo

    static final int PLACES = 20;
    static final int ALREADY_TAKEN = 19;
    static final int PEOPLE = 50;

    public static void main(String[] args) {
        System.out.printf("A run has %d places and %d are taken. %d people press \"register\" at the same moment.%n%n",
                PLACES, ALREADY_TAKEN, PEOPLE);
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:courses;DB_CLOSE_DELAY=-1", "sa", "", PEOPLE + 4)) {
            CapacitySchema.install(pool.jdbi());
            long run = 1;
            for (StrategyKind kind : List.of(StrategyKind.CONDITIONAL_UPDATE, StrategyKind.PESSIMISTIC_LOCK,
                    StrategyKind.OPTIMISTIC_VERSION, StrategyKind.UNIQUE_SLOTS)) {
                CourseRegistration courses = new CourseRegistration(pool.dataSource(), kind);
                courses.createTables();
                Result naive = lastPlaceRace(courses, run++, true);
                Result fixed = lastPlaceRace(courses, run++, false);
                if (kind == StrategyKind.CONDITIONAL_UPDATE) {
                    System.out.printf("  %-34s %3d attendances for %d places  (oversold by %d)%n",
                            "read-then-insert (the original)", naive.attendances, PLACES, naive.attendances - PLACES);
                }
                System.out.printf("  %-34s %3d attendances for %d places  (%d registered, %d told it is full)%n",
                        "capacity, " + kind.strategyName(), fixed.attendances, PLACES, fixed.registered, fixed.full);
            }
        }
        System.out.println();
        System.out.println("The original checks attendances_count in one statement and inserts in another, so every");
        System.out.println("caller that read 19 inserts. capacity reserves the place in the transaction that inserts");
        System.out.println("the attendance, and only the caller the database lets through gets it.");
    }

    /** What one race left behind. */
    record Result(int registered, int full, int attendances) {}

    /**
     * Schedules a run, fills all but one place, and sends {@link #PEOPLE} registrations at once:
     * naively, with every thread held between its check and its write until all have checked;
     * or through the strategy, all released by one latch.
     */
    static Result lastPlaceRace(CourseRegistration courses, long run, boolean naive) {
        courses.scheduleRun(run, "Concurrency in practice", PLACES);
        for (int i = 0; i < ALREADY_TAKEN; i++) {
            Outcome early = naive ? courses.registerNaively(run, "early-" + i, () -> { })
                    : courses.register(run, "early-" + i);
            if (early != Outcome.REGISTERED) {
                throw new IllegalStateException("could not fill the run: " + early);
            }
        }
        CyclicBarrier everyoneHasChecked = new CyclicBarrier(PEOPLE);
        Runnable wait = () -> {
            try {
                everyoneHasChecked.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException("the racing threads did not line up", e);
            }
        };
        List<Outcome> outcomes = Crowd.atOnce(PEOPLE, i -> naive
                ? courses.registerNaively(run, "user-" + i, wait)
                : courses.register(run, "user-" + i));
        int registered = (int) outcomes.stream().filter(o -> o == Outcome.REGISTERED).count();
        int full = (int) outcomes.stream().filter(o -> o == Outcome.FULL).count();
        return new Result(registered, full, courses.attendances(run));
    }
}
