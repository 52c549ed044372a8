package dev.capacity.jdbc;

import dev.capacity.HoldStatus;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;

import org.jdbi.v3.sqlobject.SqlObject;

/**
 * A mixin for Jdbi SqlObject DAOs: reserve, confirm, release and adjust on the DAO's own handle, so that
 * a {@code @Transaction} method of the DAO reserves in the same transaction as its own statements
 * and both commit or roll back together. The strategy is the one {@link CapacityPlugin} put in
 * the Jdbi's configuration.
 *
 * <pre>{@code
 * public interface Attendances extends CapacitySqlObject {
 *     @SqlUpdate("INSERT INTO attendance (run_id, user_id, reservation_id) VALUES (:run, :user, :reservation)")
 *     void insert(@Bind("run") long run, @Bind("user") String user, @Bind("reservation") long reservation);
 *
 *     @Transaction
 *     default ReservationResult register(long run, String user) {
 *         ReservationResult place = reserve(ReservationRequest.of("run-" + run, user));
 *         if (place.isReserved()) {
 *             insert(run, user, place.reservation().id());
 *         }
 *         return place;
 *     }
 * }
 * }</pre>
 *
 * <p>Inside a transaction each method behaves as the strategy's method that takes a
 * {@code Handle} (see {@link JdbiReservationStrategy}); outside one, as the method without.
 * Needs {@code org.jdbi:jdbi3-sqlobject} on the classpath.
 */
public interface CapacitySqlObject extends SqlObject {

    /** {@link JdbiReservationStrategy#reserve(org.jdbi.v3.core.Handle, ReservationRequest)} on this DAO's handle. */
    default ReservationResult reserve(ReservationRequest request) {
        return capacity().reserve(getHandle(), request);
    }

    /** {@link JdbiReservationStrategy#release(org.jdbi.v3.core.Handle, long)} on this DAO's handle. */
    default boolean release(long reservationId) {
        return capacity().release(getHandle(), reservationId);
    }

    /** {@link JdbiReservationStrategy#confirm(org.jdbi.v3.core.Handle, long)} on this DAO's handle. */
    default HoldStatus confirm(long reservationId) {
        return capacity().confirm(getHandle(), reservationId);
    }

    /** {@link JdbiReservationStrategy#adjust(org.jdbi.v3.core.Handle, String, long)} on this DAO's handle. */
    default long adjust(String resourceId, long delta) {
        return capacity().adjust(getHandle(), resourceId, delta);
    }

    /** The strategy these methods use: the one in the handle's {@link CapacityConfig}. */
    default JdbiReservationStrategy capacity() {
        return getHandle().getConfig(CapacityConfig.class).strategy();
    }
}
