package dev.capacity.jdbc.testing;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** One thread of the test, stopped at a chosen statement until the test lets it go on. */
public final class Pause {

    /** How long a test waits for a call to reach its statement, and a paused call for the test. */
    public static final long WAIT_SECONDS = 10;

    private final Predicate<String> sql;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch resumed = new CountDownLatch(1);
    private volatile Thread thread;

    Pause(Predicate<String> sql) {
        this.sql = sql;
    }

    /** Runs {@code call} on a thread of its own, which this pause stops. */
    public <T> CompletableFuture<T> start(Supplier<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(call.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "paused-call");
        t.setDaemon(true);
        thread = t;
        t.start();
        return result;
    }

    public void awaitReached() throws InterruptedException {
        if (!reached.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            Thread t = thread;
            throw new AssertionError("the call did not reach the statement in " + WAIT_SECONDS + " s; it is "
                    + (t == null ? "not started" : t.getState() + " at " + Arrays.toString(t.getStackTrace())));
        }
    }

    public void resume() {
        resumed.countDown();
    }

    /** Called by every connection before {@code statement}: stops this pause's thread, once. */
    void before(String statement) throws SQLException {
        if (Thread.currentThread() != thread || reached.getCount() == 0 || !sql.test(statement)) {
            return;
        }
        reached.countDown();
        try {
            if (!resumed.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new SQLException("the test did not resume the paused call in " + WAIT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while paused", e);
        }
    }
}
