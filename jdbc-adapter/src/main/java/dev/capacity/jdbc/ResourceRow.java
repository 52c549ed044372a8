package dev.capacity.jdbc;

/**
 * A resource's row as read (or locked) by a statement; {@code holderLimit} is
 * {@link Long#MAX_VALUE} when the resource has no per-holder limit; {@code soldOut} is
 * unique-slots' mark that no slot is free (see {@code UniqueSlotsStrategy}).
 */
record ResourceRow(String family, long capacity, long reserved, long version, long holderLimit, boolean soldOut) {

    boolean isLimited() {
        return holderLimit != Long.MAX_VALUE;
    }

    long available() {
        return Math.max(0, capacity - reserved);
    }
}
