package dev.capacity.examples.race;

import dev.capacity.stress.internal.History;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows how far a race is, on standard error: a bar redrawn in place on a terminal, a plain line
 * every two seconds otherwise (a log, a pipe, CI).
 */
final class Progress implements AutoCloseable {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private final String label;
    private final LongSupplier done;
    private final long total;
    private final long durationNanos;
    private final long started = System.nanoTime();
    private final ScheduledExecutorService timer;
    private final ScheduledFuture<?> task;

    /**
     * @param total the calls that make 100%, for a race that runs its plan once
     * @param durationNanos the length of a timed race, or 0
     */
    Progress(PrintStream out, String label, History history, long total, long durationNanos) {
        this.out = out;
        this.terminal = out == System.err && System.console() != null;
        this.label = label;
        this.done = history::size;
        this.total = Math.max(1, total);
        this.durationNanos = durationNanos;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "race-progress");
            thread.setDaemon(true);
            return thread;
        });
        long every = terminal ? 200 : 2000;
        this.task = timer.scheduleAtFixedRate(this::show, every, every, TimeUnit.MILLISECONDS);
    }

    private double fraction() {
        long elapsed = System.nanoTime() - started;
        double f = durationNanos > 0 ? (double) elapsed / durationNanos : (double) done.getAsLong() / total;
        return Math.min(0.99, f);
    }

    private void show() {
        double f = fraction();
        double seconds = (System.nanoTime() - started) / 1e9;
        if (terminal) {
            int filled = (int) (f * WIDTH);
            out.printf(Locale.ROOT, "\r  %-20s [%s%s] %3.0f%%  %,d calls  %.1f s   ", label, "=".repeat(filled),
                    " ".repeat(WIDTH - filled), f * 100, done.getAsLong(), seconds);
        } else {
            out.printf(Locale.ROOT, "  %s: %3.0f%%, %,d calls, %.1f s%n", label, f * 100, done.getAsLong(), seconds);
        }
        out.flush();
    }

    /** Stops the display and prints the final line. */
    @Override
    public void close() {
        task.cancel(false);
        timer.shutdownNow();
        double seconds = (System.nanoTime() - started) / 1e9;
        String line = String.format(Locale.ROOT, "  %-20s %s  %,d calls  %.1f s", label, terminal ? "[" + "=".repeat(WIDTH) + "] 100%" : "done:",
                done.getAsLong(), seconds);
        out.println(terminal ? "\r" + line + "   " : line);
        out.flush();
    }
}
