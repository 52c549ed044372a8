package dev.capacity.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Ids for resources (and idempotency keys) that no other test uses. Every id made is remembered
 * until {@link #takeMade()}, so that a check run after a test can find each resource the test
 * named: the JDBC adapter checks their ledgers.
 *
 * <p>This class is threadsafe. The ids are remembered for the whole JVM, not per test: tests that
 * take them must run one at a time.
 */
public final class ResourceIds {

    private static final Queue<String> MADE = new ConcurrentLinkedQueue<>();

    private ResourceIds() {}

    /** {@code prefix}, a dash and 13 random characters. */
    public static String newId(String prefix) {
        String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 13);
        MADE.add(id);
        return id;
    }

    /** The ids made since the last call, oldest first; they are forgotten. */
    public static List<String> takeMade() {
        List<String> ids = new ArrayList<>();
        for (String id = MADE.poll(); id != null; id = MADE.poll()) {
            ids.add(id);
        }
        return ids;
    }
}
