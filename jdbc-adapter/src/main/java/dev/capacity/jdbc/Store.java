package dev.capacity.jdbc;

/**
 * The adapter's statements for one database and one table prefix, by table. Each method of the
 * row classes is one statement (or one batch) on a connection the caller gives; transactions
 * belong to the caller ({@link Transactions}).
 *
 * <p>This class is immutable and threadsafe.
 */
final class Store {

    final Sql sql;
    final ResourceRows resources;
    final ReservationRows reservations;
    final SlotRows slots;
    final LedgerRows ledgers;
    final HolderRows holders;

    Store(Sql sql) {
        this.sql = sql;
        this.resources = new ResourceRows(sql);
        this.reservations = new ReservationRows(sql);
        this.slots = new SlotRows(sql);
        this.ledgers = new LedgerRows(sql);
        this.holders = new HolderRows(sql);
    }
}
