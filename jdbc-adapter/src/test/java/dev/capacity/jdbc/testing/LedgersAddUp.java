package dev.capacity.jdbc.testing;

import dev.capacity.testing.ResourceIds;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks after each successful test that the ledger of every resource the test made adds up
 * (invariant 3): the counter, or for unique-slots the number of slot rows, equals the sum of the
 * quantities of the unreleased reservations. One failure names every resource that does not, with
 * its {@link Ledger}.
 *
 * <p>The resources: every id the test made with {@link ResourceIds#newId}, looked up in every
 * set of tables the test used, which {@link TestDatabase#jdbi(String)} reports with
 * {@link #watch}. An id that names no resource there (an idempotency key, a missing resource) is
 * passed over. A test that leaves a ledger broken on purpose names that resource with
 * {@link #brokenOnPurpose}.
 *
 * <p>This class is threadsafe, but what it remembers belongs to the test running: tests that use
 * it run one at a time.
 */
public final class LedgersAddUp implements BeforeEachCallback, AfterEachCallback {

    /** The tables of one prefix on one database. */
    private record Tables(TestDatabase database, String prefix) {
        @Override
        public String toString() {
            return prefix + "* @ " + database;
        }
    }

    private static final Set<Tables> WATCHED = ConcurrentHashMap.newKeySet();
    private static final Set<String> BROKEN_ON_PURPOSE = ConcurrentHashMap.newKeySet();

    /** The current test uses these tables: check their ledgers after it. */
    public static void watch(TestDatabase database, String prefix) {
        WATCHED.add(new Tables(database, prefix));
    }

    /** The current test leaves the ledger of this resource broken on purpose: do not check it. */
    public static void brokenOnPurpose(String resourceId) {
        BROKEN_ON_PURPOSE.add(resourceId);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        forget(); // what a test without this check left behind
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            forget(); // the test failed already: its own failure tells the story
        } else {
            verify();
        }
    }

    /**
     * Checks the resources made since the last check in the tables watched since then, and forgets
     * them.
     *
     * @throws AssertionError naming every resource whose ledger does not add up
     */
    static void verify() {
        Set<Tables> watched = take(WATCHED);
        Set<String> excused = take(BROKEN_ON_PURPOSE);
        List<String> ids = ResourceIds.takeMade();
        ids.removeAll(excused);
        List<String> broken = new ArrayList<>();
        for (Tables tables : watched) {
            Jdbi jdbi = tables.database().pool().jdbi();
            for (String id : ids) {
                Ledger ledger = Ledger.read(jdbi, tables.prefix(), id);
                if (ledger.family() != null && !ledger.addsUp()) {
                    broken.add("'" + id + "' in " + tables + ": " + ledger);
                }
            }
        }
        if (!broken.isEmpty()) {
            throw new AssertionError(broken.size() + " ledger(s) do not add up (reserved, and each limited holder's units, must equal the unreleased"
                    + " reservations' quantities):\n  " + String.join("\n  ", broken));
        }
    }

    private static void forget() {
        take(WATCHED);
        take(BROKEN_ON_PURPOSE);
        ResourceIds.takeMade();
    }

    private static <T> Set<T> take(Collection<T> remembered) {
        Set<T> taken = new HashSet<>();
        for (T item : List.copyOf(remembered)) {
            if (remembered.remove(item)) {
                taken.add(item);
            }
        }
        return taken;
    }
}
