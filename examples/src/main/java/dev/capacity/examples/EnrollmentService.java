package dev.capacity.examples;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.JdbiReservationStrategy;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.util.Objects;

/**
 * A service the way an application writes one, with the strategy injected: students enroll in a
 * course, each enrollment a row of the application's own table, and the seat is reserved in the
 * same transaction as that row, so both commit or neither does. A student who presses "enroll"
 * twice sends one request key twice; the second press is answered with the first one's seat and
 * writes nothing.
 *
 * <p>With a database strategy the seat joins the enrollment's transaction. The in-memory strategy
 * cannot join it: the seat is reserved first and handed back if the row cannot be written.
 *
 * <p>Its test ({@code EnrollmentServiceTest}) runs it on every strategy with
 * {@code @AllStrategies} and races it with the test kit's {@code Race}. This class is threadsafe.
 */
public final class EnrollmentService {

    /** What an enrollment came to. */
    public enum Outcome { ENROLLED, ALREADY_ENROLLED, FULL, TRY_AGAIN }

    /**
     * The answer to one press of "enroll".
     *
     * @param outcome what the student sees
     * @param seat the strategy's answer for the seat, as the service got it
     */
    public record Enrollment(Outcome outcome, ReservationResult seat) {}

    private final ReservationStrategy seats;
    private final Jdbi jdbi;

    /** Enrollment with seats sold by {@code seats}, and enrollment rows in {@code jdbi}'s database. */
    public EnrollmentService(ReservationStrategy seats, Jdbi jdbi) {
        this.seats = Objects.requireNonNull(seats, "seats");
        this.jdbi = Objects.requireNonNull(jdbi, "jdbi");
    }

    /** The application's own table: one row per enrolled student, with the reservation of the seat. */
    public void createTable() {
        jdbi.useHandle(h -> h.execute("CREATE TABLE IF NOT EXISTS enrollment (course_id VARCHAR(100) NOT NULL,"
                + " student_id VARCHAR(200) NOT NULL, reservation_id BIGINT NOT NULL,"
                + " PRIMARY KEY (course_id, student_id))"));
    }

    /** Opens a course with {@code seats} seats. */
    public void openCourse(String courseId, int seats) {
        this.seats.define(courseId, seats);
    }

    /**
     * Enrolls {@code studentId} in {@code courseId}: the seat and the enrollment row commit together.
     *
     * @param requestKey the key of this press of "enroll" (a double press sends it twice), or null
     */
    public Enrollment enroll(String courseId, String studentId, String requestKey) {
        ReservationRequest request = new ReservationRequest(courseId, studentId, 1, requestKey, null);
        if (seats instanceof JdbiReservationStrategy joinable) {
            return jdbi.inTransaction(h -> enrolled(joinable.reserve(h, request), h, courseId, studentId));
        }
        ReservationResult seat = seats.reserve(request);
        try {
            return jdbi.inTransaction(h -> enrolled(seat, h, courseId, studentId));
        } catch (RuntimeException e) {
            if (seat.status() == ReservationResult.Status.RESERVED) {
                seats.release(seat.reservation().id()); // the row did not land: neither does the seat
            }
            throw e;
        }
    }

    /** Writes the enrollment row for a seat just reserved, on {@code h}, and says what the student sees. */
    private static Enrollment enrolled(ReservationResult seat, Handle h, String courseId, String studentId) {
        switch (seat.status()) {
            case RESERVED:
                h.createUpdate("INSERT INTO enrollment (course_id, student_id, reservation_id) VALUES (?, ?, ?)")
                        .bind(0, courseId).bind(1, studentId).bind(2, seat.reservation().id()).execute();
                return new Enrollment(Outcome.ENROLLED, seat);
            case REPLAYED:
                return new Enrollment(Outcome.ALREADY_ENROLLED, seat);
            case INSUFFICIENT_CAPACITY:
                return new Enrollment(Outcome.FULL, seat);
            case CONTENDED:
                return new Enrollment(Outcome.TRY_AGAIN, seat);
            default:
                throw new IllegalStateException("course " + courseId + ": " + seat.status());
        }
    }

    /** Students enrolled in {@code courseId}: rows of the enrollment table. */
    public long enrolled(String courseId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM enrollment WHERE course_id = ?")
                .bind(0, courseId).mapTo(Long.class).one());
    }
}
