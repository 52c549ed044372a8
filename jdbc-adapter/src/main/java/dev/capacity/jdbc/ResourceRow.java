package dev.capacity.jdbc;

/** A resource's row as read (or locked) by a statement. */
record ResourceRow(String family, long capacity, long reserved, long version) {

    long available() {
        return Math.max(0, capacity - reserved);
    }
}
