package dev.capacity.jdbc;

import dev.capacity.Availability;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The adapter's statements as Java methods over a JDBC {@link Connection}, for one dialect and one
 * table prefix. Each method is one statement (or one batch); transactions belong to the caller.
 *
 * <p>The statements run as plain prepared statements on the connection that Jdbi handed out (or
 * the caller's {@code Handle} holds), not through Jdbi's statement API: they are few and fixed, and
 * Jdbi's per-statement configuration and argument lookup cost more than the statements themselves
 * on an in-process database. Drivers cache the parsed statements per connection (PostgreSQL's
 * server-side prepared statements, H2's command cache).
 *
 * <p>This class is immutable and threadsafe.
 */
final class Store {

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
    boolean insertResource(Connection c, String id, String family, long capacity) throws SQLException {
        return executeUnlessDuplicate(c, sql.insertResource, s -> {
            s.setString(1, id);
            s.setString(2, family);
            s.setLong(3, capacity);
        }) == 1;
    }

    Optional<ResourceRow> selectResource(Connection c, String id) throws SQLException {
        return resourceRow(c, sql.selectResource, id);
    }

    /** Reads the resource under an exclusive row lock, waiting at most the lock timeout. */
    Optional<ResourceRow> lockResource(Connection c, String id) throws SQLException {
        if (sql.lockTimeoutStatement() == null) {
            return resourceRow(c, sql.lockResource, id);
        }
        // "SET LOCAL lock_timeout ...; SELECT ... FOR UPDATE": the first result is the SET's
        try (PreparedStatement s = c.prepareStatement(sql.lockResource)) {
            s.setString(1, id);
            boolean resultSet = s.execute();
            while (!resultSet) {
                if (s.getUpdateCount() == -1) {
                    throw new SQLException("the locking read returned no rows and no count");
                }
                resultSet = s.getMoreResults();
            }
            try (ResultSet rs = s.getResultSet()) {
                return rs.next() ? Optional.of(new ResourceRow(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)))
                        : Optional.empty();
            }
        }
    }

    /**
     * {@link #lockResource}, leaving the transaction's lock timeout as it found it: for a
     * transaction that is the caller's and goes on after the lock is taken.
     */
    Optional<ResourceRow> lockResourceKeepingSettings(Connection c, String id) throws SQLException {
        if (sql.lockTimeoutStatement() == null) {
            return lockResource(c, id);
        }
        String previous = one(c, "SELECT current_setting('lock_timeout')", s -> { }, rs -> rs.getString(1)).orElseThrow();
        // lockResource sets the timeout for the rest of the transaction: put the caller's back after
        Optional<ResourceRow> row = lockResource(c, id);
        one(c, "SELECT set_config('lock_timeout', ?, true)", s -> s.setString(1, previous), rs -> rs.getString(1));
        return row;
    }

    /**
     * Reads the resource under a row lock that other holders of this lock share and that
     * {@link #lockResource} excludes (exclusive on H2, which has no shared row lock).
     */
    Optional<ResourceRow> shareResource(Connection c, String id) throws SQLException {
        return resourceRow(c, sql.shareResource, id);
    }

    Optional<Availability> availability(Connection c, String id) throws SQLException {
        return one(c, sql.availability, s -> {
            s.setString(1, id);
            s.setString(2, id);
        }, rs -> new Availability(id, rs.getLong(2), rs.getLong(3)));
    }

    int resizeCounter(Connection c, String id, long capacity) throws SQLException {
        return update(c, sql.resizeCounter, s -> {
            s.setLong(1, capacity);
            s.setString(2, id);
        });
    }

    /** Adds {@code delta} to a counter resource's capacity if the result stays in range; the new capacity. */
    OptionalLong adjustCounter(Connection c, String id, long delta) throws SQLException {
        if (delta == Long.MIN_VALUE) {
            // no capacity can take it, and -delta has no long to bind: the caller reads the row and says why
            return OptionalLong.empty();
        }
        return oneLong(c, sql.adjustCounter, s -> {
            s.setLong(1, delta);
            s.setString(2, id);
            s.setLong(3, delta < 0 ? -delta : 0);
            s.setLong(4, delta > 0 ? Long.MAX_VALUE - delta : Long.MAX_VALUE);
        });
    }

    void setCapacity(Connection c, String id, long capacity) throws SQLException {
        update(c, sql.setCapacity, s -> {
            s.setLong(1, capacity);
            s.setString(2, id);
        });
    }

    /** The guarded increment; the units left after it, or empty if it did not fit (or no counter resource). */
    OptionalLong conditionalIncrement(Connection c, String id, int quantity) throws SQLException {
        return oneLong(c, sql.conditionalIncrement, s -> {
            s.setInt(1, quantity);
            s.setString(2, id);
            s.setInt(3, quantity);
        });
    }

    /** The increment if the version is still {@code version}; false if someone changed the row. */
    boolean versionedIncrement(Connection c, String id, int quantity, long version) throws SQLException {
        return update(c, sql.versionedIncrement, s -> {
            s.setInt(1, quantity);
            s.setString(2, id);
            s.setLong(3, version);
        }) == 1;
    }

    void increment(Connection c, String id, long quantity) throws SQLException {
        update(c, sql.increment, s -> {
            s.setLong(1, quantity);
            s.setString(2, id);
        });
    }

    void decrement(Connection c, String id, int quantity) throws SQLException {
        update(c, sql.decrement, s -> {
            s.setInt(1, quantity);
            s.setString(2, id);
        });
    }

    // ---- reservations

    /**
     * Inserts the reservation row; its id, or empty if the idempotency key is taken (committed,
     * or written earlier in this transaction). Never aborts the transaction for a taken key.
     */
    OptionalLong insertReservation(Connection c, ReservationRequest request, Instant createdAt) throws SQLException {
        try (PreparedStatement s = sql.dialect == Dialect.POSTGRESQL
                ? c.prepareStatement(sql.insertReservation, new String[] {"id"})
                : c.prepareStatement(sql.insertReservation, Statement.RETURN_GENERATED_KEYS)) {
            s.setString(1, request.resourceId());
            s.setString(2, request.holderId());
            s.setInt(3, request.quantity());
            s.setString(4, request.idempotencyKey());
            s.setObject(5, timestamp(createdAt));
            try {
                if (s.executeUpdate() == 0) {
                    return OptionalLong.empty();
                }
            } catch (SQLException e) {
                if (sql.survivesUniqueViolation() && SqlErrors.classify(e) == SqlErrors.Kind.UNIQUE_VIOLATION) {
                    return OptionalLong.empty();
                }
                throw e;
            }
            try (ResultSet keys = s.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("the database returned no id for the new reservation row");
                }
                return OptionalLong.of(keys.getLong(1));
            }
        }
    }

    Optional<Reservation> reservationByKey(Connection c, String key) throws SQLException {
        return one(c, sql.reservationByKey, s -> s.setString(1, key),
                rs -> new Reservation(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                        instant(rs, 6)));
    }

    /** The reservations holding any of {@code keys}, by key. */
    java.util.Map<String, Reservation> reservationsByKeys(Connection c, java.util.Collection<String> keys)
            throws SQLException {
        java.util.Map<String, Reservation> found = new java.util.HashMap<>();
        if (keys.isEmpty()) {
            return found;
        }
        java.sql.Array array = c.createArrayOf("VARCHAR", keys.toArray());
        try (PreparedStatement s = c.prepareStatement(sql.reservationsByKeys)) {
            s.setArray(1, array);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Reservation r = new Reservation(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                            rs.getString(5), instant(rs, 6));
                    found.put(r.idempotencyKey(), r);
                }
            }
        } finally {
            array.free();
        }
        return found;
    }

    /**
     * Inserts one reservation row per request (all of one resource), in one statement on
     * PostgreSQL and one batch on H2; their ids, in the order of the requests. A taken
     * idempotency key fails the statement (and, on PostgreSQL, the transaction).
     */
    long[] insertReservations(Connection c, List<ReservationRequest> requests, Instant createdAt) throws SQLException {
        return sql.dialect == Dialect.POSTGRESQL ? insertFromArrays(c, requests, createdAt)
                : insertAsBatch(c, requests, createdAt);
    }

    private long[] insertFromArrays(Connection c, List<ReservationRequest> requests, Instant createdAt)
            throws SQLException {
        int n = requests.size();
        String[] holders = new String[n];
        Integer[] quantities = new Integer[n];
        String[] keys = new String[n];
        // RETURNING does not promise an order: rows are matched to requests by what they hold;
        // requests that hold the same are interchangeable
        Map<String, java.util.ArrayDeque<Integer>> byContent = new HashMap<>();
        for (int i = 0; i < n; i++) {
            ReservationRequest request = requests.get(i);
            holders[i] = request.holderId();
            quantities[i] = request.quantity();
            keys[i] = request.idempotencyKey();
            byContent.computeIfAbsent(content(holders[i], quantities[i], keys[i]), k -> new java.util.ArrayDeque<>()).add(i);
        }
        java.sql.Array holderArray = c.createArrayOf("varchar", holders);
        java.sql.Array quantityArray = c.createArrayOf("int4", quantities);
        java.sql.Array keyArray = c.createArrayOf("varchar", keys);
        try (PreparedStatement s = c.prepareStatement(sql.insertReservations)) {
            s.setString(1, requests.get(0).resourceId());
            s.setObject(2, timestamp(createdAt));
            s.setArray(3, holderArray);
            s.setArray(4, quantityArray);
            s.setArray(5, keyArray);
            long[] ids = new long[n];
            int returned = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    java.util.ArrayDeque<Integer> same = byContent.get(content(rs.getString(2), rs.getInt(3), rs.getString(4)));
                    if (same == null || same.isEmpty()) {
                        throw new SQLException("the database returned a row no request of the batch asked for");
                    }
                    ids[same.poll()] = rs.getLong(1);
                    returned++;
                }
            }
            if (returned != n) {
                throw new SQLException("the database returned " + returned + " ids for " + n + " new rows");
            }
            return ids;
        } finally {
            holderArray.free();
            quantityArray.free();
            keyArray.free();
        }
    }

    private static String content(String holder, int quantity, String key) {
        return holder + '\u0000' + quantity + '\u0000' + key;
    }

    private long[] insertAsBatch(Connection c, List<ReservationRequest> requests, Instant createdAt) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql.insertReservations, Statement.RETURN_GENERATED_KEYS)) {
            OffsetDateTime at = timestamp(createdAt);
            for (ReservationRequest request : requests) {
                s.setString(1, request.resourceId());
                s.setString(2, request.holderId());
                s.setInt(3, request.quantity());
                s.setString(4, request.idempotencyKey());
                s.setObject(5, at);
                s.addBatch();
            }
            s.executeBatch();
            long[] ids = new long[requests.size()];
            try (ResultSet keys = s.getGeneratedKeys()) {
                for (int i = 0; i < ids.length; i++) {
                    if (!keys.next()) {
                        throw new SQLException("the database returned " + i + " ids for " + ids.length + " new rows");
                    }
                    ids[i] = keys.getLong(1);
                }
            }
            return ids;
        }
    }

    boolean reservationExists(Connection c, long id) throws SQLException {
        return one(c, sql.reservationExists, s -> s.setLong(1, id), rs -> Boolean.TRUE).isPresent();
    }

    Optional<ReleaseRow> reservationForRelease(Connection c, long id) throws SQLException {
        return one(c, sql.reservationForRelease, s -> s.setLong(1, id),
                rs -> new ReleaseRow(rs.getString(1), rs.getInt(2), rs.getObject(3) != null, rs.getString(4)));
    }

    /** Marks the reservation released unless it already is; true if this call marked it. */
    boolean markReleased(Connection c, long id, Instant now) throws SQLException {
        return update(c, sql.markReleased, s -> {
            s.setObject(1, timestamp(now));
            s.setLong(2, id);
        }) == 1;
    }

    /** When the reservation was released; empty if it was not, or does not exist. */
    Optional<Instant> releasedAt(Connection c, long id) throws SQLException {
        return one(c, sql.releasedAt, s -> s.setLong(1, id), rs -> rs.getObject(1) == null ? null : instant(rs, 1));
    }

    // ---- slots

    /** Up to {@code limit} occupied slots in {@code [from, to)}, ascending (committed, or written by this transaction). */
    List<Long> occupiedSlots(Connection c, String resourceId, long from, long to, int limit) throws SQLException {
        return longs(c, sql.occupiedSlots, s -> {
            s.setString(1, resourceId);
            s.setLong(2, from);
            s.setLong(3, to);
            s.setInt(4, limit);
        });
    }

    /**
     * Takes the given slots for a reservation where they are free; the number taken. A slot held
     * by a transaction in flight is waited for; one taken meanwhile is skipped, never an error.
     */
    int insertSlots(Connection c, String resourceId, List<Long> slots, long reservationId) throws SQLException {
        if (sql.survivesUniqueViolation()) {
            int taken = 0;
            for (long slot : slots) {
                taken += executeUnlessDuplicate(c, sql.insertSlot, s -> {
                    s.setString(1, resourceId);
                    s.setLong(2, slot);
                    s.setLong(3, reservationId);
                });
            }
            return taken;
        }
        // one statement, not a JDBC batch: pgjdbc turns a connection lost mid-batch into an
        // AssertionError when assertions are on (pgjdbc issue 1458)
        try (PreparedStatement s = c.prepareStatement(sql.insertSlot)) {
            s.setString(1, resourceId);
            s.setLong(2, reservationId);
            s.setArray(3, c.createArrayOf("bigint", slots.toArray()));
            return s.executeUpdate();
        }
    }

    long countSlotsBelow(Connection c, String resourceId, long to) throws SQLException {
        return oneLong(c, sql.countSlotsBelow, s -> {
            s.setString(1, resourceId);
            s.setLong(2, to);
        }).orElse(0);
    }

    OptionalLong highestSlotFrom(Connection c, String resourceId, long from) throws SQLException {
        return oneLong(c, sql.highestSlotFrom, s -> {
            s.setString(1, resourceId);
            s.setLong(2, from);
        });
    }

    /** Every slot at or above {@code from}, highest first. */
    List<Long> slotsFrom(Connection c, String resourceId, long from) throws SQLException {
        return longs(c, sql.slotsFrom, s -> {
            s.setString(1, resourceId);
            s.setLong(2, from);
        });
    }

    /**
     * Deletes the slots of a reservation, wherever they are now (a concurrent release may just
     * have moved one), and returns the slots it freed.
     */
    List<Long> deleteSlotsOf(Connection c, long reservationId) throws SQLException {
        return longs(c, sql.deleteSlotsOf, s -> s.setLong(1, reservationId));
    }

    /** Moves the slot at {@code from} to {@code to}; false if no slot was at {@code from} any more. */
    boolean moveSlot(Connection c, String resourceId, long from, long to) throws SQLException {
        return update(c, sql.moveSlot, s -> {
            s.setLong(1, to);
            s.setString(2, resourceId);
            s.setLong(3, from);
        }) == 1;
    }

    // ---- audit and repair

    /**
     * One resource's ledger, read by one statement: the counter, the sum of the unreleased
     * reservations, and for the slots family the slot rows, those held by unreleased reservations
     * of the resource, and how many unreleased reservations hold other than their quantity.
     */
    record LedgerRow(String id, String family, long capacity, long reserved, long unreleased, long occupied,
                     long held, long misheld) {}

    /** An unreleased reservation that holds {@code held} slots instead of {@code quantity}. */
    record MisheldRow(long reservationId, int quantity, long held) {}

    List<String> resourceIds(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql.resourceIds); ResultSet rs = s.executeQuery()) {
            List<String> ids = new ArrayList<>();
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
            return ids;
        }
    }

    /** Reads every resource's ledger in one statement, in id order. */
    void forEachLedger(Connection c, java.util.function.Consumer<LedgerRow> action) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql.ledgers); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                action.accept(ledgerRow(rs));
            }
        }
    }

    Optional<LedgerRow> ledgerOf(Connection c, String id) throws SQLException {
        return one(c, sql.ledgerOf, s -> s.setString(1, id), Store::ledgerRow);
    }

    private static LedgerRow ledgerRow(ResultSet rs) throws SQLException {
        return new LedgerRow(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                rs.getLong(6), rs.getLong(7), rs.getLong(8));
    }

    void setReserved(Connection c, String id, long reserved) throws SQLException {
        update(c, sql.setReserved, s -> {
            s.setLong(1, reserved);
            s.setString(2, id);
        });
    }

    /** Deletes the resource's slots that no unreleased reservation of it holds; how many. */
    int deleteOrphanSlots(Connection c, String id) throws SQLException {
        return update(c, sql.deleteOrphanSlots, s -> s.setString(1, id));
    }

    List<MisheldRow> misheldReservations(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql.misheldReservations)) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                List<MisheldRow> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(new MisheldRow(rs.getLong(1), rs.getInt(2), rs.getLong(3)));
                }
                return rows;
            }
        }
    }

    /** The slots a reservation holds in a resource, highest first. */
    List<Long> slotsOfReservation(Connection c, String id, long reservationId) throws SQLException {
        return longs(c, sql.slotsOfReservation, s -> {
            s.setString(1, id);
            s.setLong(2, reservationId);
        });
    }

    boolean deleteSlot(Connection c, String id, long slot) throws SQLException {
        return update(c, sql.deleteSlot, s -> {
            s.setString(1, id);
            s.setLong(2, slot);
        }) == 1;
    }

    // ---- plumbing

    /** Sets the parameters of a statement. */
    @FunctionalInterface
    interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    /** Reads one row. */
    @FunctionalInterface
    interface Mapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    private Optional<ResourceRow> resourceRow(Connection c, String statement, String id) throws SQLException {
        return one(c, statement, s -> s.setString(1, id),
                rs -> new ResourceRow(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)));
    }

    /** Executes an insert; 0 instead of a unique violation where the transaction survives one. */
    private int executeUnlessDuplicate(Connection c, String statement, Binder binder) throws SQLException {
        try {
            return update(c, statement, binder);
        } catch (SQLException e) {
            if (sql.survivesUniqueViolation() && SqlErrors.classify(e) == SqlErrors.Kind.UNIQUE_VIOLATION) {
                return 0;
            }
            throw e;
        }
    }

    static int update(Connection c, String statement, Binder binder) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            binder.bind(s);
            return s.executeUpdate();
        }
    }

    static <T> Optional<T> one(Connection c, String statement, Binder binder, Mapper<T> mapper) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            binder.bind(s);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.ofNullable(mapper.map(rs)) : Optional.empty();
            }
        }
    }

    private static OptionalLong oneLong(Connection c, String statement, Binder binder) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            binder.bind(s);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
            }
        }
    }

    private static List<Long> longs(Connection c, String statement, Binder binder) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(statement)) {
            binder.bind(s);
            try (ResultSet rs = s.executeQuery()) {
                List<Long> values = new ArrayList<>();
                while (rs.next()) {
                    values.add(rs.getLong(1));
                }
                return values;
            }
        }
    }

    /** The instant at UTC; built without {@code ZoneOffset.getRules()}, which allocates on every call. */
    private static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.of(LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC),
                ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }
}
