package dev.capacity.stress.faults;

import dev.capacity.stress.internal.Database;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Terminates PostgreSQL backends of one application at random moments with
 * {@code pg_terminate_backend}, as an operator, a failover or a network cut would: every few
 * milliseconds (a random pause of up to {@code maxPauseMillis}) it picks one of the application's
 * sessions at random, whatever it is doing, and ends it. Each kill is counted by what the session
 * was doing at the time (committing, inside a transaction, running a statement, idle in the pool).
 *
 * <p>This class is threadsafe.
 */
public final class BackendKiller implements AutoCloseable {

    private final Database database;
    private final String applicationName;
    private final SplittableRandom random;
    private final long maxPauseNanos;
    private final AtomicLong kills = new AtomicLong();
    private final Map<String, Long> byState = new TreeMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Exception failure;

    private final BooleanSupplier active;

    /** Kills while {@code active} says so, until closed. */
    public BackendKiller(Database database, String applicationName, long seed, long maxPauseMillis, BooleanSupplier active) {
        this.active = active;
        this.database = database;
        this.applicationName = applicationName;
        this.random = new SplittableRandom(seed);
        this.maxPauseNanos = TimeUnit.MILLISECONDS.toNanos(maxPauseMillis);
        this.thread = new Thread(this::run, "backend-killer");
        this.thread.setDaemon(true);
    }

    public BackendKiller start() {
        thread.start();
        return this;
    }

    public long kills() {
        return kills.get();
    }

    /** Kills by what the session was doing. */
    public synchronized Map<String, Long> byState() {
        return new TreeMap<>(byState);
    }

    private void run() {
        try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
             PreparedStatement sessions = c.prepareStatement("SELECT pid, state, query FROM pg_stat_activity"
                     + " WHERE application_name = ? AND pid <> pg_backend_pid()");
             PreparedStatement terminate = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
            sessions.setString(1, applicationName);
            while (running) {
                LockSupport.parkNanos(random.nextLong(maxPauseNanos) + 1);
                if (!active.getAsBoolean()) {
                    continue;
                }
                List<Object[]> victims = new ArrayList<>();
                try (ResultSet rs = sessions.executeQuery()) {
                    while (rs.next()) {
                        victims.add(new Object[] {rs.getInt(1), rs.getString(2), rs.getString(3)});
                    }
                }
                if (victims.isEmpty()) {
                    continue;
                }
                Object[] victim = victims.get(random.nextInt(victims.size()));
                terminate.setInt(1, (Integer) victim[0]);
                try (ResultSet rs = terminate.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        kills.incrementAndGet();
                        count(state((String) victim[1], (String) victim[2]));
                    }
                }
            }
        } catch (SQLException e) {
            failure = e;
        }
    }

    private static String state(String state, String query) {
        if (state == null) {
            return "starting";
        }
        if (state.equals("active")) {
            return query != null && query.trim().toUpperCase(java.util.Locale.ROOT).startsWith("COMMIT")
                    ? "committing" : "running a statement";
        }
        if (state.startsWith("idle in transaction")) {
            return "between statements of a transaction";
        }
        return state.equals("idle") ? "idle in the pool" : state;
    }

    private synchronized void count(String state) {
        byState.merge(state, 1L, Long::sum);
    }

    /** Stops killing; throws if the killer itself failed. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw new IllegalStateException("the backend killer failed: " + failure, failure);
        }
    }
}
