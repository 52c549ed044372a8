package dev.capacity.jdbc;

import dev.capacity.StrategyOptions;

import java.util.ArrayList;
import java.util.List;

/**
 * Every statement the adapter runs, for one database and one table prefix: the only place that
 * knows the tables. What differs between databases comes from the {@link Dialect}.
 *
 * <p>This class is immutable and threadsafe.
 */
final class Sql {

    static final String COUNTER = "counter";
    static final String SLOTS = "slots";

    /** The rows of the holds index, where the database can index a part of a table. */
    private static final String UNENDED_HOLDS = "released_at IS NULL AND expires_at IS NOT NULL";

    final Dialect dialect;
    final String resourceTable;
    final String reservationTable;
    final String slotTable;
    final String holderTable;

    final String insertResource;
    final String selectResource;
    final String lockResource;
    final String shareResource;
    /** The resource row locked as an UPDATE of it would lock it (what a mark made on its own takes first). */
    final String lockResourceAsUpdate;
    final String shareResourceAgainstMarks;
    final String markSoldOut;
    final String clearSoldOut;
    final String isSoldOut;
    /**
     * Whether a resource is marked sold out and no hold of it has expired unended, in one statement:
     * one snapshot, so that a transaction that ends the expired holds (and clears the mark) cannot
     * commit between the two reads.
     */
    final String soldOutAndNoneExpired;
    final String availability;
    final String resizeCounter;
    final String setCapacity;
    final String adjustCounter;
    /** Where the dialect has no UPDATE ... RETURNING: what the row-returning updates read back (else null). */
    final String adjustedCapacity;
    final String incrementedLeft;
    final String decrementedLimit;

    final String conditionalIncrement;
    final String setHolderLimit;
    final String holderAdd;
    final String holderInsert;
    /** {@link Dialect#holdersAddAllOrNone}, or null. */
    final String holdersAddAllOrNone;
    /** {@link Dialect#holderTake}, or null. */
    final String holderTake;
    final String holderGive;
    final String holderRebuild;
    final String holderDrop;
    final String holdersOf;
    final String holderUnits;
    final String holdersAmong;
    final String holdersAddAll;
    final String liveUnitsByHolder;
    final String versionedIncrement;
    final String increment;
    final String decrement;

    final String insertReservation;
    final String insertReservationRow;
    final String insertReservations;
    final String reservationByKey;
    final String reservationsByKeys;
    /** {@link #reservationsByKeys} for a dialect without arrays: followed by a list of parameters, {@link #parameterList}. */
    final String reservationsByKeysIn;
    final String reservationExists;
    final String reservationState;
    final String release;
    final String expire;
    final String confirm;
    final String extend;
    final String ending;
    final String expiredHolds;
    final String expireAll;
    /** {@link #expireAll} for a dialect without arrays: followed by {@link #parameterList}. */
    final String expireAllIn;
    final String anyExpiredHold;
    final String deleteReservation;
    final String resourcesWithExpiredHolds;

    final String occupiedSlots;
    final String insertSlot;
    final String insertSlots;
    final String countSlotsBelow;
    final String highestSlotFrom;
    final String slotsFrom;
    final String deleteSlotsOf;
    /** Where the dialect has no DELETE ... RETURNING: the slots {@link #deleteSlotsOf} deletes, locked (else null). */
    final String lockSlotsOf;
    final String moveSlot;

    final String ledgers;
    final String ledgerOf;
    final String setReserved;
    final String deleteOrphanSlots;
    final String misheldReservations;
    final String slotsOfReservation;
    final String deleteSlot;

    Sql(Dialect dialect, StrategyOptions options) {
        this.dialect = dialect;
        String prefix = dialect.tablePrefix(options.tablePrefix());
        this.resourceTable = prefix + "resource";
        this.reservationTable = prefix + "reservation";
        this.slotTable = prefix + "slot";
        this.holderTable = prefix + "holder";
        long lockTimeout = options.lockTimeout().toMillis();
        String r = resourceTable;
        String v = reservationTable;
        String s = slotTable;

        String resourceColumns = "SELECT family, capacity, reserved, version, holder_limit, sold_out FROM " + r
                + " WHERE id = ?";
        insertResource = dialect.insertUnlessDuplicate(
                "INSERT INTO " + r + " (id, family, capacity, reserved, version) VALUES (?, ?, ?, 0, 0)", "id");
        selectResource = resourceColumns;
        lockResource = dialect.lockForUpdate(resourceColumns, lockTimeout);
        shareResource = dialect.lockShared(resourceColumns, lockTimeout);
        shareResourceAgainstMarks = dialect.lockSharedAgainstUpdates(resourceColumns, lockTimeout);
        lockResourceAsUpdate = dialect.lockAsUpdate(resourceColumns, lockTimeout);
        markSoldOut = "UPDATE " + r + " SET sold_out = TRUE WHERE id = ? AND family = '" + SLOTS + "' AND sold_out = FALSE";
        clearSoldOut = "UPDATE " + r + " SET sold_out = FALSE WHERE id = ? AND sold_out = TRUE";
        isSoldOut = "SELECT sold_out FROM " + r + " WHERE id = ?";
        // one statement, one snapshot: the counter (or the slots), less the holds expired by ?, and the live holds
        String unreleasedHolds = "SELECT COALESCE(SUM(quantity), 0) FROM " + v
                + " WHERE resource_id = ? AND released_at IS NULL AND expires_at IS NOT NULL";
        availability = "SELECT family, capacity, CASE WHEN family = '" + SLOTS + "'"
                + " THEN (SELECT COUNT(*) FROM " + s + " WHERE resource_id = ?) ELSE reserved END AS reserved,"
                + " (" + unreleasedHolds + " AND expires_at <= ?) AS expired,"
                + " (" + unreleasedHolds + " AND expires_at > ?) AS held"
                + " FROM " + r + " WHERE id = ?";
        resizeCounter = "UPDATE " + r + " SET capacity = ?, version = version + 1 WHERE id = ? AND family = '" + COUNTER + "'";
        // a growth frees slots and clears the sold-out mark; a shrink of a full resource leaves it full. The mark
        // is set first: MariaDB evaluates the assignments left to right, so capacity is still the old one there
        setCapacity = "UPDATE " + r + " SET sold_out = CASE WHEN ? > capacity THEN FALSE ELSE sold_out END, capacity = ?,"
                + " version = version + 1 WHERE id = ?";
        // the bounds keep capacity + delta within [0, Long.MAX_VALUE] without computing it out of range
        String adjust = "UPDATE " + r + " SET capacity = capacity + ?, version = version + 1"
                + " WHERE id = ? AND family = '" + COUNTER + "' AND capacity >= ? AND capacity <= ?";
        String adjustReturning = dialect.updateReturning(adjust, "capacity");
        adjustCounter = adjustReturning != null ? adjustReturning : adjust;
        adjustedCapacity = adjustReturning != null ? null : readBack("capacity");

        // reserved <= capacity - q rather than reserved + q <= capacity: no overflow near Long.MAX_VALUE
        String guarded = "UPDATE " + r + " SET reserved = reserved + ?, version = version + 1"
                + " WHERE id = ? AND family = '" + COUNTER + "' AND reserved <= capacity - ?";
        String guardedReturning = dialect.updateReturning(guarded, "capacity - reserved, holder_limit");
        conditionalIncrement = guardedReturning != null ? guardedReturning : guarded;
        incrementedLeft = guardedReturning != null ? null : readBack("capacity - reserved, holder_limit");
        versionedIncrement = "UPDATE " + r + " SET reserved = reserved + ?, version = version + 1 WHERE id = ? AND version = ?";
        increment = "UPDATE " + r + " SET reserved = reserved + ?, version = version + 1 WHERE id = ?";
        String down = "UPDATE " + r + " SET reserved = reserved - ?, version = version + 1 WHERE id = ?";
        String downReturning = dialect.updateReturning(down, "holder_limit, capacity - reserved");
        decrement = downReturning != null ? downReturning : down;
        decrementedLimit = downReturning != null ? null : readBack("holder_limit, capacity - reserved");

        // a holder's live units on a resource with a per-holder limit; the resource row's lock comes first
        String h = holderTable;
        setHolderLimit = "UPDATE " + r + " SET holder_limit = ?, version = version + 1 WHERE id = ?";
        // units + q <= limit written as units <= limit - q: no overflow near Long.MAX_VALUE
        holderAdd = "UPDATE " + h + " SET units = units + ? WHERE resource_id = ? AND holder_id = ? AND units <= ? - ?";
        holderInsert = dialect.insertUnlessDuplicate(
                "INSERT INTO " + h + " (resource_id, holder_id, units) VALUES (?, ?, ?)", "resource_id, holder_id");
        holderTake = dialect.holderTake(h);
        holderGive = "UPDATE " + h + " SET units = units - ? WHERE resource_id = ? AND holder_id = ?";
        holderRebuild = "INSERT INTO " + h + " (resource_id, holder_id, units) SELECT resource_id, holder_id, SUM(quantity)"
                + " FROM " + v + " WHERE resource_id = ? AND released_at IS NULL GROUP BY resource_id, holder_id";
        holderDrop = "DELETE FROM " + h + " WHERE resource_id = ?";
        holdersOf = "SELECT holder_id, units FROM " + h + " WHERE resource_id = ? AND units <> 0 ORDER BY holder_id";
        holderUnits = "SELECT units FROM " + h + " WHERE resource_id = ? AND holder_id = ?";
        holdersAmong = dialect.holdersAmong(h);
        holdersAddAll = dialect.holdersAddAll(h);
        holdersAddAllOrNone = dialect.holdersAddAllOrNone(h);
        liveUnitsByHolder = "SELECT holder_id, SUM(quantity) FROM " + v + " WHERE resource_id = ? AND released_at IS NULL"
                + " GROUP BY holder_id ORDER BY holder_id";

        insertReservationRow = "INSERT INTO " + v + " (resource_id, holder_id, quantity, idempotency_key, created_at,"
                + " expires_at) VALUES (?, ?, ?, ?, ?, ?)";
        insertReservation = dialect.insertUnlessDuplicate(insertReservationRow, "idempotency_key");
        insertReservations = dialect.insertReservations(v, insertReservationRow);
        String reservationColumns = "SELECT id, resource_id, holder_id, quantity, idempotency_key, created_at, expires_at FROM " + v;
        reservationByKey = reservationColumns + " WHERE idempotency_key = ?";
        reservationsByKeys = reservationColumns + " WHERE idempotency_key = ANY(?)";
        reservationsByKeysIn = reservationColumns + " WHERE idempotency_key IN ";
        reservationExists = "SELECT 1 FROM " + v + " WHERE id = ?";
        reservationState = "SELECT v.resource_id, v.quantity, v.released_at, v.expired, v.expires_at, r.family, v.holder_id FROM "
                + v + " v LEFT JOIN " + r + " r ON r.id = v.resource_id WHERE v.id = ?";
        // a hold ends exactly once: each of these changes a live row only, and a live hold only before (or,
        // for an expiry, at or after) its expiry by the caller's clock
        String liveRow = " WHERE id = ? AND released_at IS NULL";
        release = "UPDATE " + v + " SET released_at = ?, expired = FALSE, release_token = ?" + liveRow + " AND (expires_at IS NULL OR expires_at > ?)";
        expire = "UPDATE " + v + " SET released_at = ?, expired = TRUE" + liveRow + " AND expires_at <= ?";
        confirm = "UPDATE " + v + " SET expires_at = NULL, confirmed_at = ?, confirm_token = ?" + liveRow + " AND expires_at > ?";
        extend = "UPDATE " + v + " SET expires_at = ?" + liveRow + " AND expires_at > ?";
        // locked: a transaction that changed the row and whose COMMIT is still in flight ends first
        ending = dialect.lockForUpdate("SELECT released_at, expired, confirmed_at, expires_at, release_token, confirm_token FROM "
                + v + " WHERE id = ?", lockTimeout);
        String expiredOf = " WHERE resource_id = ? AND released_at IS NULL AND expires_at <= ?";
        // rows another transaction has locked (a release, a confirm, a sweep in flight) are skipped, never waited for
        expiredHolds = "SELECT id, quantity, holder_id FROM " + v + expiredOf + " ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED";
        expireAll = "UPDATE " + v + " SET released_at = ?, expired = TRUE WHERE released_at IS NULL AND id = ANY(?)";
        expireAllIn = "UPDATE " + v + " SET released_at = ?, expired = TRUE WHERE released_at IS NULL AND id IN ";
        anyExpiredHold = "SELECT 1 FROM " + v + expiredOf + " LIMIT 1";
        soldOutAndNoneExpired = "SELECT sold_out AND NOT EXISTS (SELECT 1 FROM " + v + expiredOf + ") FROM " + r
                + " WHERE id = ?";
        deleteReservation = "DELETE FROM " + v + " WHERE id = ?";
        resourcesWithExpiredHolds = "SELECT DISTINCT resource_id FROM " + v
                + " WHERE released_at IS NULL AND expires_at <= ? LIMIT ?";

        // ORDER BY names both key columns: H2 reads the primary key in order only then (instead of sorting the range)
        occupiedSlots = "SELECT slot FROM " + s + " WHERE resource_id = ? AND slot >= ? AND slot < ?"
                + " ORDER BY resource_id, slot LIMIT ?";
        insertSlot = dialect.insertUnlessDuplicate(
                "INSERT INTO " + s + " (resource_id, slot, reservation_id) VALUES (?, ?, ?)", "resource_id, slot");
        insertSlots = dialect.insertSlots(s, insertSlot);
        countSlotsBelow = "SELECT COUNT(*) FROM " + s + " WHERE resource_id = ? AND slot < ?";
        highestSlotFrom = "SELECT slot FROM " + s + " WHERE resource_id = ? AND slot >= ?"
                + " ORDER BY resource_id DESC, slot DESC LIMIT 1";
        slotsFrom = "SELECT slot FROM " + s + " WHERE resource_id = ? AND slot >= ? ORDER BY resource_id DESC, slot DESC";
        String deleteSlots = "DELETE FROM " + s + " WHERE reservation_id = ?";
        String deleteSlotsReturning = dialect.deleteReturning(deleteSlots, "slot");
        deleteSlotsOf = deleteSlotsReturning != null ? deleteSlotsReturning : deleteSlots;
        lockSlotsOf = deleteSlotsReturning != null ? null
                : dialect.lockForUpdate("SELECT slot FROM " + s + " WHERE reservation_id = ?", lockTimeout);
        moveSlot = "UPDATE " + s + " SET slot = ? WHERE resource_id = ? AND slot = ?";

        // the audit: one statement per read, so one snapshot sees every table at one moment
        String live = v + ".resource_id = r.id AND " + v + ".released_at IS NULL";
        String slotsOnly = "CASE WHEN r.family = '" + SLOTS + "' THEN ";
        String ledger = "SELECT r.id, r.family, r.capacity, r.reserved,"
                + " (SELECT COALESCE(SUM(" + v + ".quantity), 0) FROM " + v + " WHERE " + live + ") AS unreleased,"
                + " " + slotsOnly + "(SELECT COUNT(*) FROM " + s + " WHERE " + s + ".resource_id = r.id) ELSE 0 END AS occupied,"
                + " " + slotsOnly + "(SELECT COUNT(*) FROM " + s + " JOIN " + v + " ON " + v + ".id = " + s + ".reservation_id"
                + "   WHERE " + s + ".resource_id = r.id AND " + live + ") ELSE 0 END AS held,"
                + " " + slotsOnly + "(SELECT COUNT(*) FROM " + v + " WHERE " + live + " AND " + v + ".quantity <>"
                + "   (SELECT COUNT(*) FROM " + s + " WHERE " + s + ".reservation_id = " + v + ".id"
                + "    AND " + s + ".resource_id = r.id)) ELSE 0 END AS misheld,"
                + " (SELECT COALESCE(SUM(" + v + ".quantity), 0) FROM " + v + " WHERE " + live + " AND " + v
                + ".expires_at <= ?) AS expired,"
                // limited resources: holders whose row disagrees with their live reservations, or who have none
                + " CASE WHEN r.holder_limit IS NOT NULL THEN"
                + "   (SELECT COUNT(*) FROM " + holderTable + " h WHERE h.resource_id = r.id AND h.units <>"
                + "     (SELECT COALESCE(SUM(" + v + ".quantity), 0) FROM " + v + " WHERE " + live
                + "      AND " + v + ".holder_id = h.holder_id))"
                + " + (SELECT COUNT(DISTINCT " + v + ".holder_id) FROM " + v + " WHERE " + live
                + "     AND NOT EXISTS (SELECT 1 FROM " + holderTable + " h WHERE h.resource_id = r.id"
                + "      AND h.holder_id = " + v + ".holder_id))"
                + " ELSE 0 END AS holders_off"
                + " FROM " + r + " r";
        ledgers = ledger + " ORDER BY r.id";
        ledgerOf = ledger + " WHERE r.id = ?";
        setReserved = "UPDATE " + r + " SET reserved = ?, version = version + 1 WHERE id = ?";
        // no alias for the table a DELETE deletes from: MariaDB before 11.6 takes none
        deleteOrphanSlots = "DELETE FROM " + s + " WHERE " + s + ".resource_id = ? AND NOT EXISTS (SELECT 1 FROM " + v
                + " WHERE " + v + ".id = " + s + ".reservation_id AND " + v + ".resource_id = " + s + ".resource_id AND "
                + v + ".released_at IS NULL)";
        misheldReservations = "SELECT id, quantity, held FROM (SELECT " + v + ".id, " + v + ".quantity,"
                + " (SELECT COUNT(*) FROM " + s + " WHERE " + s + ".reservation_id = " + v + ".id AND "
                + s + ".resource_id = " + v + ".resource_id) AS held"
                + " FROM " + v + " WHERE " + v + ".resource_id = ? AND " + v + ".released_at IS NULL) m"
                + " WHERE held <> quantity ORDER BY id";
        slotsOfReservation = "SELECT slot FROM " + s + " WHERE resource_id = ? AND reservation_id = ? ORDER BY slot DESC";
        deleteSlot = "DELETE FROM " + s + " WHERE resource_id = ? AND slot = ?";
    }

    /**
     * The read of {@code columns} of a resource row this transaction has just changed, where the
     * dialect has no row-returning UPDATE: the change holds the row's lock until the commit, and
     * a transaction's reads see its own changes, so this reads what the change wrote.
     */
    private String readBack(String columns) {
        return "SELECT " + columns + " FROM " + resourceTable + " WHERE id = ?";
    }

    /** {@code (?, ?, ...)} with {@code n} parameters, for the statements that end with a list. */
    static String parameterList(int n) {
        StringBuilder list = new StringBuilder(2 + 3 * n).append('(');
        for (int i = 0; i < n; i++) {
            list.append(i == 0 ? "?" : ", ?");
        }
        return list.append(')').toString();
    }

    /** The tables and indexes, in creation order; every statement is idempotent. */
    List<String> ddl() {
        String r = resourceTable;
        String v = reservationTable;
        String s = slotTable;
        String id = dialect.idType();
        String at = dialect.timestampType();
        boolean inTable = dialect.indexesInTable();
        // the unended holds by resource and expiry: what a reserve reclaims and what availability
        // subtracts, without reading a resource's every reservation
        String holdsIndex = v + "_holds ON " + v + " (resource_id, expires_at)";
        String slotIndex = s + "_reservation ON " + s + " (reservation_id)";
        List<String> ddl = new ArrayList<>();
        ddl.add("CREATE TABLE IF NOT EXISTS " + r + " (\n"
                + "    id        " + id + " NOT NULL PRIMARY KEY,\n"
                + "    family    VARCHAR(16)  NOT NULL,\n"
                + "    capacity  BIGINT       NOT NULL,\n"
                + "    reserved  BIGINT       NOT NULL DEFAULT 0,\n"
                + "    version   BIGINT       NOT NULL DEFAULT 0,\n"
                + "    holder_limit BIGINT,\n"
                + "    sold_out  BOOLEAN      NOT NULL DEFAULT FALSE,\n"
                + "    CONSTRAINT " + r + "_family CHECK (family IN ('" + COUNTER + "', '" + SLOTS + "')),\n"
                + "    CONSTRAINT " + r + "_capacity CHECK (capacity >= 0),\n"
                + "    CONSTRAINT " + r + "_reserved CHECK (reserved >= 0)\n"
                + ")" + dialect.resourceTableOptions() + dialect.tableOptions());
        ddl.add("CREATE TABLE IF NOT EXISTS " + v + " (\n"
                + "    id              " + dialect.generatedIdColumn() + ",\n"
                + "    resource_id     " + id + " NOT NULL,\n"
                + "    holder_id       " + id + " NOT NULL,\n"
                + "    quantity        INTEGER      NOT NULL,\n"
                + "    idempotency_key " + id + ",\n"
                + "    created_at      " + at + " NOT NULL,\n"
                + "    released_at     " + at + ",\n"
                + "    expires_at      " + at + ",\n"
                + "    confirmed_at    " + at + ",\n"
                + "    expired         BOOLEAN      NOT NULL DEFAULT FALSE,\n"
                + "    release_token   BIGINT,\n"
                + "    confirm_token   BIGINT,\n"
                + "    CONSTRAINT " + v + "_quantity CHECK (quantity > 0),\n"
                + "    CONSTRAINT " + v + "_key UNIQUE (idempotency_key)"
                + (inTable ? ",\n    INDEX " + holdsIndex.replace(" ON " + v, "") : "") + "\n"
                + ")" + dialect.tableOptions());
        if (dialect.upgradesTablesOf01()) {
            // 0.1 tables gain the columns of holds and per-holder limits
            ddl.add("ALTER TABLE " + r + " ADD COLUMN IF NOT EXISTS holder_limit BIGINT");
            ddl.add("ALTER TABLE " + r + " ADD COLUMN IF NOT EXISTS sold_out BOOLEAN NOT NULL DEFAULT FALSE");
            ddl.add("ALTER TABLE " + v + " ADD COLUMN IF NOT EXISTS expires_at " + at);
            ddl.add("ALTER TABLE " + v + " ADD COLUMN IF NOT EXISTS confirmed_at " + at);
            ddl.add("ALTER TABLE " + v + " ADD COLUMN IF NOT EXISTS expired BOOLEAN NOT NULL DEFAULT FALSE");
            ddl.add("ALTER TABLE " + v + " ADD COLUMN IF NOT EXISTS release_token BIGINT");
            ddl.add("ALTER TABLE " + v + " ADD COLUMN IF NOT EXISTS confirm_token BIGINT");
        }
        ddl.add("CREATE TABLE IF NOT EXISTS " + s + " (\n"
                + "    resource_id    " + id + " NOT NULL,\n"
                + "    slot           BIGINT       NOT NULL,\n"
                + "    reservation_id BIGINT       NOT NULL,\n"
                + "    CONSTRAINT " + s + "_pk PRIMARY KEY (resource_id, slot)"
                + (inTable ? ",\n    INDEX " + slotIndex.replace(" ON " + s, "") : "") + "\n"
                + ")" + dialect.tableOptions());
        if (!inTable) {
            ddl.add("CREATE INDEX IF NOT EXISTS " + slotIndex);
        }
        ddl.add("CREATE TABLE IF NOT EXISTS " + holderTable + " (\n"
                + "    resource_id " + id + " NOT NULL,\n"
                + "    holder_id   " + id + " NOT NULL,\n"
                + "    units       BIGINT       NOT NULL,\n"
                + "    CONSTRAINT " + holderTable + "_pk PRIMARY KEY (resource_id, holder_id),\n"
                + "    CONSTRAINT " + holderTable + "_units CHECK (units >= 0)\n"
                + ")" + dialect.tableOptions());
        if (!inTable) {
            ddl.add("CREATE INDEX IF NOT EXISTS " + holdsIndex + dialect.partialIndex(UNENDED_HOLDS));
        }
        ddl.addAll(dialect.moreReservationIndexes(reservationTable, UNENDED_HOLDS));
        return ddl;
    }
}
