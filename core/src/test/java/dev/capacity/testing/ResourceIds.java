package dev.capacity.testing;

import java.util.UUID;

/**
 * Ids for resources (and idempotency keys) that no other test uses.
 *
 * <p>This class is threadsafe.
 */
public final class ResourceIds {

    private ResourceIds() {}

    /** {@code prefix}, a dash and 13 random characters. */
    public static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 13);
    }
}
