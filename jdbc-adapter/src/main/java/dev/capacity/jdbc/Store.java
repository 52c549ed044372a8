package dev.capacity.jdbc;

import dev.capacity.Availability;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.statement.ColonPrefixSqlParser;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.TemplateEngine;
import org.jdbi.v3.core.statement.Update;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The adapter's statements as Java methods over a {@link Handle}, for one dialect and one table
 * prefix. Each method is one statement (or one batch); transactions belong to the caller.
 *
 * <p>Every statement is parsed with a colon-prefix parser and no template engine, whatever the
 * application configured on its {@code Jdbi}, so that the adapter's SQL means what it says.
 *
 * <p>This class is immutable and threadsafe.
 */
final class Store {

    private static final ColonPrefixSqlParser PARSER = new ColonPrefixSqlParser();

    final Sql sql;

    Store(Sql sql) {
        this.sql = sql;
    }

    /** A resource's row as read (or locked) by a statement. */
    record ResourceRow(String family, long capacity, long reserved, long version) {
        long available() {
            return Math.max(0, capacity - reserved);
        }
    }

    /** What a release needs to know about a reservation; {@code family} is null if its resource is gone. */
    record ReleaseRow(String resourceId, int quantity, boolean released, String family) {}

    // ---- resources

    /** Inserts the resource unless one with that id exists; true if inserted. */
    boolean insertResource(Handle handle, String id, String family, long capacity) {
        Update insert = update(handle, sql.insertResource)
                .bind("id", id).bind("family", family).bind("capacity", capacity);
        return executeUnlessDuplicate(insert) == 1;
    }

    Optional<ResourceRow> selectResource(Handle handle, String id) {
        return resourceRow(handle, sql.selectResource, id);
    }

    /** Reads the resource under an exclusive row lock, waiting at most the lock timeout. */
    Optional<ResourceRow> lockResource(Handle handle, String id) {
        String timeout = sql.lockTimeoutStatement();
        if (timeout != null) {
            update(handle, timeout).execute();
        }
        return resourceRow(handle, sql.lockResource, id);
    }

    /**
     * {@link #lockResource}, leaving the transaction's lock timeout as it found it: for a
     * transaction that is the caller's and goes on after the lock is taken.
     */
    Optional<ResourceRow> lockResourceKeepingSettings(Handle handle, String id) {
        String timeout = sql.lockTimeoutStatement();
        if (timeout == null) {
            return lockResource(handle, id);
        }
        String previous = query(handle, "SELECT current_setting('lock_timeout')").mapTo(String.class).one();
        Optional<ResourceRow> row = lockResource(handle, id);
        query(handle, "SELECT set_config('lock_timeout', :previous, true)").bind("previous", previous)
                .mapTo(String.class).one();
        return row;
    }

    /**
     * Reads the resource under a row lock that other holders of this lock share and that
     * {@link #lockResource} excludes (exclusive on H2, which has no shared row lock).
     */
    Optional<ResourceRow> shareResource(Handle handle, String id) {
        return resourceRow(handle, sql.shareResource, id);
    }

    Optional<Availability> availability(Handle handle, String id) {
        return query(handle, sql.availability).bind("id", id)
                .map((rs, ctx) -> new Availability(id, rs.getLong("capacity"), rs.getLong("reserved")))
                .findOne();
    }

    int resizeCounter(Handle handle, String id, long capacity) {
        return update(handle, sql.resizeCounter).bind("id", id).bind("capacity", capacity).execute();
    }

    /** Adds {@code delta} to a counter resource's capacity if the result stays in range; the new capacity. */
    OptionalLong adjustCounter(Handle handle, String id, long delta) {
        Optional<Long> capacity = query(handle, sql.adjustCounter).bind("id", id).bind("delta", delta)
                .bind("lowest", delta < 0 ? -delta : 0).bind("highest", delta > 0 ? Long.MAX_VALUE - delta : Long.MAX_VALUE)
                .map((rs, ctx) -> rs.getLong(1)).findOne();
        return capacity.map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    void setCapacity(Handle handle, String id, long capacity) {
        update(handle, sql.setCapacity).bind("id", id).bind("capacity", capacity).execute();
    }

    /** The guarded increment; the units left after it, or empty if it did not fit (or no counter resource). */
    OptionalLong conditionalIncrement(Handle handle, String id, int quantity) {
        Optional<Long> left = query(handle, sql.conditionalIncrement).bind("id", id).bind("quantity", quantity)
                .map((rs, ctx) -> rs.getLong(1)).findOne();
        return left.map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    /** The increment if the version is still {@code version}; false if someone changed the row. */
    boolean versionedIncrement(Handle handle, String id, int quantity, long version) {
        return update(handle, sql.versionedIncrement).bind("id", id).bind("quantity", quantity)
                .bind("version", version).execute() == 1;
    }

    void increment(Handle handle, String id, int quantity) {
        update(handle, sql.increment).bind("id", id).bind("quantity", quantity).execute();
    }

    void decrement(Handle handle, String id, int quantity) {
        update(handle, sql.decrement).bind("id", id).bind("quantity", quantity).execute();
    }

    // ---- reservations

    /**
     * Inserts the reservation row; its id, or empty if the idempotency key is taken (committed,
     * or written earlier in this transaction). Never aborts the transaction for a taken key.
     */
    OptionalLong insertReservation(Handle handle, ReservationRequest request, Instant createdAt) {
        Update insert = update(handle, sql.insertReservation)
                .bind("resourceId", request.resourceId())
                .bind("holderId", request.holderId())
                .bind("quantity", request.quantity())
                .bind("idempotencyKey", request.idempotencyKey())
                .bind("createdAt", timestamp(createdAt));
        try {
            Optional<Long> id = (sql.dialect == Dialect.POSTGRESQL
                    ? insert.executeAndReturnGeneratedKeys("id")
                    : insert.executeAndReturnGeneratedKeys())
                    .map((rs, ctx) -> rs.getLong(1)).findOne();
            return id.map(OptionalLong::of).orElse(OptionalLong.empty());
        } catch (RuntimeException e) {
            if (sql.survivesUniqueViolation() && SqlErrors.classify(e) == SqlErrors.Kind.UNIQUE_VIOLATION) {
                return OptionalLong.empty();
            }
            throw e;
        }
    }

    Optional<Reservation> reservationByKey(Handle handle, String key) {
        return query(handle, sql.reservationByKey).bind("key", key)
                .map((rs, ctx) -> new Reservation(rs.getLong("id"), rs.getString("resource_id"),
                        rs.getString("holder_id"), rs.getInt("quantity"), rs.getString("idempotency_key"),
                        instant(rs, "created_at")))
                .findOne();
    }

    Optional<ReleaseRow> reservationForRelease(Handle handle, long id) {
        return query(handle, sql.reservationForRelease).bind("id", id)
                .map((rs, ctx) -> new ReleaseRow(rs.getString("resource_id"), rs.getInt("quantity"),
                        rs.getObject("released_at") != null, rs.getString("family")))
                .findOne();
    }

    /** Marks the reservation released unless it already is; true if this call marked it. */
    boolean markReleased(Handle handle, long id, Instant now) {
        return update(handle, sql.markReleased).bind("id", id).bind("now", timestamp(now)).execute() == 1;
    }

    /** When the reservation was released; empty if it was not, or does not exist. */
    Optional<Instant> releasedAt(Handle handle, long id) {
        return query(handle, sql.releasedAt).bind("id", id)
                .map((rs, ctx) -> rs.getObject("released_at") == null ? null : instant(rs, "released_at"))
                .findOne();
    }

    // ---- slots

    /** Up to {@code limit} occupied slots in {@code [from, to)}, ascending (committed, or written by this transaction). */
    List<Long> occupiedSlots(Handle handle, String resourceId, long from, long to, int limit) {
        return query(handle, sql.occupiedSlots).bind("resourceId", resourceId).bind("from", from).bind("to", to)
                .bind("limit", limit).map((rs, ctx) -> rs.getLong(1)).list();
    }

    /**
     * Takes the given slots for a reservation where they are free; the number taken. A slot held
     * by a transaction in flight is waited for; one taken meanwhile is skipped, never an error.
     */
    int insertSlots(Handle handle, String resourceId, List<Long> slots, long reservationId) {
        if (sql.survivesUniqueViolation()) {
            int taken = 0;
            for (long slot : slots) {
                taken += executeUnlessDuplicate(update(handle, sql.insertSlot).bind("resourceId", resourceId)
                        .bind("slot", slot).bind("reservationId", reservationId));
            }
            return taken;
        }
        PreparedBatch batch = pin(handle.prepareBatch(sql.insertSlot));
        for (long slot : slots) {
            batch.bind("resourceId", resourceId).bind("slot", slot).bind("reservationId", reservationId).add();
        }
        int taken = 0;
        for (int count : batch.execute()) {
            taken += Math.max(count, 0);
        }
        return taken;
    }

    long countSlotsBelow(Handle handle, String resourceId, long to) {
        return query(handle, sql.countSlotsBelow).bind("resourceId", resourceId).bind("to", to)
                .mapTo(Long.class).one();
    }

    OptionalLong highestSlotFrom(Handle handle, String resourceId, long from) {
        Optional<Long> slot = query(handle, sql.highestSlotFrom).bind("resourceId", resourceId).bind("from", from)
                .map((rs, ctx) -> rs.getLong(1)).findOne();
        return slot.map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    /** Every slot at or above {@code from}, highest first. */
    List<Long> slotsFrom(Handle handle, String resourceId, long from) {
        return query(handle, sql.slotsFrom).bind("resourceId", resourceId).bind("from", from)
                .map((rs, ctx) -> rs.getLong(1)).list();
    }

    /**
     * Deletes the slots of a reservation, wherever they are now (a concurrent release may just
     * have moved one), and returns the slots it freed.
     */
    List<Long> deleteSlotsOf(Handle handle, long reservationId) {
        return query(handle, sql.deleteSlotsOf).bind("reservationId", reservationId).map((rs, ctx) -> rs.getLong(1))
                .list();
    }

    /** Moves the slot at {@code from} to {@code to}; false if no slot was at {@code from} any more. */
    boolean moveSlot(Handle handle, String resourceId, long from, long to) {
        return update(handle, sql.moveSlot).bind("resourceId", resourceId).bind("from", from).bind("to", to)
                .execute() == 1;
    }

    // ---- plumbing

    private Optional<ResourceRow> resourceRow(Handle handle, String statement, String id) {
        return query(handle, statement).bind("id", id)
                .map((rs, ctx) -> new ResourceRow(rs.getString("family"), rs.getLong("capacity"),
                        rs.getLong("reserved"), rs.getLong("version")))
                .findOne();
    }

    /** Executes an insert; 0 instead of a unique violation where the transaction survives one. */
    private int executeUnlessDuplicate(Update insert) {
        try {
            return insert.execute();
        } catch (RuntimeException e) {
            if (sql.survivesUniqueViolation() && SqlErrors.classify(e) == SqlErrors.Kind.UNIQUE_VIOLATION) {
                return 0;
            }
            throw e;
        }
    }

    static Query query(Handle handle, String statement) {
        return pin(handle.createQuery(statement));
    }

    static Update update(Handle handle, String statement) {
        return pin(handle.createUpdate(statement));
    }

    private static <S extends SqlStatement<S>> S pin(S statement) {
        return statement.configure(SqlStatements.class,
                c -> c.setTemplateEngine(TemplateEngine.NOP).setSqlParser(PARSER));
    }

    private static Argument timestamp(Instant instant) {
        OffsetDateTime value = OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
        return (position, statement, ctx) -> statement.setObject(position, value);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }
}
