package dev.capacity.internal;

/** Arithmetic on capacities, with errors that name the resource. Not API. */
public final class CapacityMath {

    private CapacityMath() {}

    /**
     * {@code capacity + delta}, or an {@link IllegalStateException} naming the resource if that is
     * negative or overflows.
     */
    public static long adjusted(String resourceId, long capacity, long delta) {
        long result = capacity + delta;
        if (((capacity ^ result) & (delta ^ result)) < 0) {
            throw new IllegalStateException("the capacity " + capacity + " of '" + resourceId + "' plus " + delta
                    + " overflows");
        }
        if (result < 0) {
            // the unsigned reading of -delta is right for Long.MIN_VALUE too
            throw new IllegalStateException("the capacity " + capacity + " of '" + resourceId + "' cannot shrink by "
                    + Long.toUnsignedString(-delta) + "; it would be " + result);
        }
        return result;
    }
}
