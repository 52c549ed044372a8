package dev.capacity.jdbc.testing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Whether a transaction waits for a lock another one holds, read from the database's own views,
 * for {@link Waits#until(BooleanSupplier)}.
 *
 * <p>On MariaDB the answer is asked at most every 200 ms: InnoDB copies {@code INNODB_TRX} into
 * a cache and refreshes the copy only when nobody has read it for 100 ms, so a loop that asks
 * without a pause keeps reading the copy made before the wait began, and never sees it.
 */
public final class LockWaits {

    private static final long MARIADB_EVERY = TimeUnit.MILLISECONDS.toNanos(200);

    private LockWaits() {}

    /** Whether any transaction of {@code database} waits for a lock. */
    public static BooleanSupplier anyone(TestDatabase database) {
        return asked(database, switch (database) {
            case MARIADB -> "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'";
            case POSTGRES -> "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'";
            default -> "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL";
        });
    }

    /**
     * Whether the transaction of the session {@code session} waits for a lock: MariaDB's
     * {@code CONNECTION_ID()}, PostgreSQL's {@code pg_backend_pid()}, H2's {@code SESSION_ID()}.
     */
    public static BooleanSupplier session(TestDatabase database, long session) {
        return asked(database, switch (database) {
            case MARIADB -> "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"
                    + " AND trx_mysql_thread_id = " + session;
            case POSTGRES -> "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = " + session;
            default -> "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL"
                    + " AND SESSION_ID = " + session;
        });
    }

    /**
     * Whether a transaction waits for a lock while it runs a statement containing {@code fragment}
     * (plain text, no quotes): that statement, not any other session's.
     */
    public static BooleanSupplier statement(TestDatabase database, String fragment) {
        if (fragment.contains("'")) {
            throw new IllegalArgumentException("fragment must not contain a quote: " + fragment);
        }
        return asked(database, switch (database) {
            case MARIADB -> "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"
                    + " AND trx_query LIKE '%" + fragment + "%'";
            case POSTGRES -> "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    + " AND query LIKE '%" + fragment + "%'";
            default -> "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL"
                    + " AND EXECUTING_STATEMENT LIKE '%" + fragment + "%'";
        });
    }

    private static BooleanSupplier asked(TestDatabase database, String count) {
        long every = database == TestDatabase.MARIADB ? MARIADB_EVERY : 0;
        AtomicLong asked = new AtomicLong(System.nanoTime() - every);
        return () -> {
            long now = System.nanoTime();
            if (now - asked.get() < every) {
                return false;
            }
            asked.set(now);
            return database.pool().jdbi().withHandle(h -> h.createQuery(count).mapTo(Long.class).one()) > 0;
        };
    }
}
