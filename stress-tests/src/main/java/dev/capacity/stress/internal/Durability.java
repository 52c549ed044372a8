package dev.capacity.stress.internal;

/** How much an embedded server may lose in a crash, and what that costs. */
public enum Durability {
    /**
     * Commits not flushed to disk (PostgreSQL: {@code fsync} and {@code synchronous_commit} off, its
     * embedded default; MariaDB: {@code innodb_flush_log_at_trx_commit=0}): fast, loses data on a crash.
     */
    FAST,
    /** Every commit flushed to disk before it is acknowledged, as a production server runs. */
    DURABLE
}
