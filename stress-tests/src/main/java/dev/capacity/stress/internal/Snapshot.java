package dev.capacity.stress.internal;

import dev.capacity.Availability;
import dev.capacity.ReservationStrategy;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * What the store holds after a race, read when every client has stopped.
 *
 * @param resources each resource of the race: its capacity and its counter (the reserved column,
 *     or the number of slot rows for unique-slots; for the in-memory strategy, the units
 *     reserved by the race's clock)
 * @param rows every reservation row of the race's resources, by id; {@code null} for the in-memory
 *     strategy, which has no rows to read
 * @param clockMicros the race's clock when the store was read ({@link RaceClock#micros()}); 0 if
 *     not known
 */
public record Snapshot(Map<String, ResourceState> resources, Map<Long, Row> rows, long clockMicros) {

    /** A resource after the race. */
    public record ResourceState(String id, long capacity, long counter) {}

    /**
     * A reservation row after the race. Times are microseconds since the epoch, 0 where the
     * column is null.
     *
     * @param released whether the row has ended: released, or ended by expiry
     * @param expired whether it ended by expiry
     * @param expiresAtMicros the expiry of an unconfirmed hold (a confirm clears it)
     * @param confirmedAtMicros the clock reading of the confirm that made the hold permanent
     * @param endedAtMicros the clock reading of the call that ended it
     */
    public record Row(long id, String resourceId, String holderId, int quantity, String key, boolean released,
                      boolean expired, long expiresAtMicros, long confirmedAtMicros, long endedAtMicros) {

        /** Whether the row's units count at {@code clockMicros}: not ended, and permanent or a hold that has not expired. */
        public boolean liveAt(long clockMicros) {
            return !released && (expiresAtMicros == 0 || expiresAtMicros > clockMicros);
        }
    }

    /** What the store holds, with the race's clock not known. */
    public Snapshot(Map<String, ResourceState> resources, Map<Long, Row> rows) {
        this(resources, rows, 0);
    }

    /** This snapshot, read at {@code clockMicros} of the race's clock. */
    public Snapshot at(long clockMicros) {
        return new Snapshot(resources, rows, clockMicros);
    }

    public boolean hasRows() {
        return rows != null;
    }

    /**
     * Reads the resources whose id starts with {@code resourcePrefix}, and their reservation rows,
     * in one transaction. The prefix must hold no SQL wildcard ({@code _} or {@code %}).
     */
    public static Snapshot fromTables(Jdbi jdbi, String tablePrefix, String resourcePrefix) {
        if (resourcePrefix.contains("_") || resourcePrefix.contains("%")) {
            throw new IllegalArgumentException("resourcePrefix must not contain _ or %: " + resourcePrefix);
        }
        return read(jdbi, tablePrefix, "LIKE :like", query -> query.bind("like", resourcePrefix + "%"));
    }

    /** Reads the resources {@code resourceIds}, and their reservation rows, in one transaction. */
    public static Snapshot fromTables(Jdbi jdbi, String tablePrefix, Collection<String> resourceIds) {
        if (resourceIds.isEmpty()) {
            throw new IllegalArgumentException("resourceIds is empty");
        }
        return read(jdbi, tablePrefix, "IN (<ids>)", query -> query.bindList("ids", List.copyOf(resourceIds)));
    }

    /** Reads the resources whose id matches {@code idCondition} (bound by {@code bind}), and their rows. */
    private static Snapshot read(Jdbi jdbi, String tablePrefix, String idCondition, UnaryOperator<Query> bind) {
        return jdbi.inTransaction(h -> {
            Map<String, ResourceState> resources = new LinkedHashMap<>();
            bind.apply(h.createQuery("SELECT r.id, r.capacity, CASE WHEN r.family = 'slots' THEN (SELECT COUNT(*) FROM "
                            + tablePrefix + "slot s WHERE s.resource_id = r.id) ELSE r.reserved END AS counter FROM "
                            + tablePrefix + "resource r WHERE r.id " + idCondition + " ORDER BY r.id"))
                    .map((rs, ctx) -> new ResourceState(rs.getString("id"), rs.getLong("capacity"), rs.getLong("counter")))
                    .forEach(state -> resources.put(state.id(), state));
            Map<Long, Row> rows = new LinkedHashMap<>();
            bind.apply(h.createQuery("SELECT id, resource_id, holder_id, quantity, idempotency_key, released_at, expired,"
                            + " expires_at, confirmed_at FROM " + tablePrefix + "reservation WHERE resource_id "
                            + idCondition + " ORDER BY id"))
                    .map((rs, ctx) -> new Row(rs.getLong("id"), rs.getString("resource_id"), rs.getString("holder_id"),
                            rs.getInt("quantity"), Optional.ofNullable(rs.getString("idempotency_key")).orElse(""),
                            rs.getObject("released_at") != null, rs.getBoolean("expired"), micros(rs, "expires_at"),
                            micros(rs, "confirmed_at"), micros(rs, "released_at")))
                    .forEach(row -> rows.put(row.id(), row));
            return new Snapshot(resources, rows);
        });
    }

    private static long micros(ResultSet rs, String column) throws SQLException {
        OffsetDateTime time = rs.getObject(column, OffsetDateTime.class);
        return time == null ? 0 : RaceClock.micros(time.toInstant());
    }

    /**
     * For a strategy without tables: capacities and counters only, from {@code availability},
     * which counts live holds by the strategy's clock.
     */
    public static Snapshot fromAvailability(ReservationStrategy strategy, Collection<String> resourceIds) {
        Map<String, ResourceState> resources = new LinkedHashMap<>();
        for (String id : resourceIds) {
            Availability a = strategy.availability(id).orElseThrow(() -> new IllegalStateException("no resource " + id));
            resources.put(id, new ResourceState(id, a.capacity(), a.reserved()));
        }
        return new Snapshot(resources, null);
    }
}
