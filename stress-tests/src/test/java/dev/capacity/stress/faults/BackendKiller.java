package dev.capacity.stress.faults;

import dev.capacity.stress.internal.Database;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Ends the database sessions of one race at random moments, as an operator, a failover or a
 * network cut would ({@code pg_terminate_backend}, {@code KILL CONNECTION}): every few
 * milliseconds (a random pause of up to {@code maxPauseMillis}) it picks one of the race's
 * sessions at random, whatever it is doing, and ends it. Where the target has a cancel
 * ({@code KILL QUERY}), in {@link FaultTarget#cancelShare} of its turns it picks one of the
 * sessions running a statement instead, if there is one, and interrupts the statement. Each kill
 * and cancel is counted by what the session was doing at the time (committing, inside a
 * transaction, running a statement, idle in the pool).
 *
 * <p>This class is threadsafe.
 */
public final class BackendKiller implements AutoCloseable {

    private final FaultTarget target;
    private final String application;
    private final SplittableRandom random;
    private final long maxPauseNanos;
    private final AtomicLong kills = new AtomicLong();
    private final AtomicLong cancels = new AtomicLong();
    private final Map<String, Long> byState = new TreeMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Exception failure;

    private final BooleanSupplier active;

    /** Kills the sessions of the race {@code application} on {@code target} while {@code active} says so, until closed. */
    BackendKiller(FaultTarget target, String application, long seed, long maxPauseMillis, BooleanSupplier active) {
        this.active = active;
        this.target = target;
        this.application = application;
        this.random = new SplittableRandom(seed);
        this.maxPauseNanos = TimeUnit.MILLISECONDS.toNanos(maxPauseMillis);
        this.thread = new Thread(this::run, "backend-killer");
        this.thread.setDaemon(true);
    }

    public BackendKiller start() {
        thread.start();
        return this;
    }

    /** Sessions ended. */
    public long kills() {
        return kills.get();
    }

    /** Statements interrupted, their sessions left open. */
    public long cancels() {
        return cancels.get();
    }

    /** Kills and cancels by what the session was doing. */
    public synchronized Map<String, Long> byState() {
        return new TreeMap<>(byState);
    }

    private void run() {
        Database database = target.admin();
        try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
            while (running) {
                LockSupport.parkNanos(random.nextLong(maxPauseNanos) + 1);
                if (!active.getAsBoolean()) {
                    continue;
                }
                List<FaultTarget.Session> victims = target.sessions(c, application);
                if (victims.isEmpty()) {
                    continue;
                }
                if (random.nextDouble() < target.cancelShare()) {
                    List<FaultTarget.Session> running = victims.stream().filter(FaultTarget.Session::running).toList();
                    if (!running.isEmpty()) {
                        FaultTarget.Session victim = running.get(random.nextInt(running.size()));
                        if (target.cancel(c, victim)) {
                            cancels.incrementAndGet();
                            count("cancelled while " + victim.doing());
                        }
                        continue;
                    }
                }
                FaultTarget.Session victim = victims.get(random.nextInt(victims.size()));
                if (target.kill(c, victim)) {
                    kills.incrementAndGet();
                    count(victim.doing());
                }
            }
        } catch (SQLException e) {
            failure = e;
        }
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
