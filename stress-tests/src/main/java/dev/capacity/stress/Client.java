package dev.capacity.stress;

import dev.capacity.OutcomeUnknownException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StoreUnavailableException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * One racing thread: runs a script against a strategy and records every call in a history. A
 * CONTENDED answer is retried as a patient client would, up to a number of retries and for
 * {@link RaceHarness#PATIENCE} at most; each try is an operation of its own. Not threadsafe: one
 * per thread, except {@link #doing()}.
 */
final class Client {

    /** A reservation this thread holds, so that it can release it later. */
    private record Held(String resourceId, long id) {}

    /** A call in progress: what, and since when ({@link System#nanoTime()}). */
    private record Call(String what, long since) {}

    private final int process;
    private final int thread;
    private final ReservationStrategy strategy;
    private final History history;
    private final int contendedRetries;
    private final long endNanos;
    private final BooleanSupplier stop;
    private final Runnable gaveUp;
    private final List<Held> held = new ArrayList<>();
    private volatile Call call;

    /**
     * @param endNanos a {@link System#nanoTime()} after which the client stops, or
     *     {@link Long#MAX_VALUE} to run its script once; with an end the script is repeated
     *     until then, its keys made new for each round
     * @param stop asked before each step: true ends the client early
     * @param gaveUp told when the client gives up on a request that stayed CONTENDED
     */
    Client(int process, int thread, ReservationStrategy strategy, History history, int contendedRetries,
           long endNanos, BooleanSupplier stop, Runnable gaveUp) {
        this.process = process;
        this.thread = thread;
        this.strategy = strategy;
        this.history = history;
        this.contendedRetries = contendedRetries;
        this.endNanos = endNanos;
        this.stop = stop;
        this.gaveUp = gaveUp;
    }

    /** The call this client is in, and for how long, or null between calls; any thread may ask. */
    String doing() {
        Call current = call;
        return current == null ? null : String.format(Locale.ROOT, "%s for %.1f s", current.what(),
                (System.nanoTime() - current.since()) / 1e9);
    }

    void run(List<Scenario.Step> script) {
        if (endNanos == Long.MAX_VALUE) {
            runOnce(script, "");
            return;
        }
        for (int round = 0; !script.isEmpty() && !finished(); round++) {
            runOnce(script, "-" + round);
        }
    }

    private void runOnce(List<Scenario.Step> script, String keySuffix) {
        for (Scenario.Step step : script) {
            if (finished()) {
                return;
            }
            if (step instanceof Scenario.Reserve reserve) {
                reserve(reserve.key().isEmpty() ? reserve
                        : new Scenario.Reserve(reserve.resourceId(), reserve.holderId(), reserve.quantity(),
                                reserve.key() + keySuffix));
            } else if (step instanceof Scenario.ReleaseHeld release) {
                if (!held.isEmpty()) {
                    Held victim = held.remove(release.pick() % held.size());
                    release(victim);
                }
            } else if (step instanceof Scenario.Resize resize) {
                resize(resize);
            }
        }
    }

    private boolean finished() {
        return System.nanoTime() >= endNanos || stop.getAsBoolean();
    }

    private void reserve(Scenario.Reserve step) {
        ReservationRequest request = new ReservationRequest(step.resourceId(), step.holderId(), step.quantity(),
                step.key().isEmpty() ? null : step.key());
        long started = System.nanoTime();
        for (int attempt = 0; ; attempt++) {
            long invoked = now();
            begin("reserve of " + step.quantity() + " unit(s) of " + step.resourceId() + " for " + step.holderId());
            Op.Outcome outcome;
            String result;
            long id = 0;
            int attempts = 0;
            try {
                ReservationResult answer = strategy.reserve(request);
                result = answer.status().name();
                attempts = answer.attempts();
                outcome = answer.isReserved() ? Op.Outcome.OK : Op.Outcome.FAIL;
                if (answer.isReserved()) {
                    id = answer.reservation().id();
                    if (answer.status() == ReservationResult.Status.RESERVED) {
                        held.add(new Held(step.resourceId(), id));
                    }
                }
            } catch (OutcomeUnknownException e) {
                // the caller can act on an unknown outcome only if it says which request it was about
                result = request.equals(e.request()) ? e.getClass().getSimpleName() : describe(e);
                outcome = Op.Outcome.UNKNOWN;
            } catch (StoreUnavailableException e) {
                result = e.getClass().getSimpleName();
                outcome = Op.Outcome.FAIL;
            } catch (RuntimeException e) {
                result = describe(e);
                outcome = Op.Outcome.UNKNOWN;
            }
            history.record(new Op(process, thread, Op.Kind.RESERVE, step.resourceId(), step.holderId(), step.quantity(),
                    step.key(), invoked, now(), outcome, result, id, attempts));
            call = null;
            if (!"CONTENDED".equals(result)) {
                return;
            }
            if (attempt >= contendedRetries || System.nanoTime() - started >= RaceHarness.PATIENCE.toNanos()) {
                gaveUp.run();
                return;
            }
        }
    }

    private void begin(String what) {
        call = new Call(what, System.nanoTime());
    }

    private void release(Held victim) {
        long invoked = now();
        begin("release of reservation " + victim.id() + " of " + victim.resourceId());
        Op.Outcome outcome;
        String result;
        try {
            result = String.valueOf(strategy.release(victim.id()));
            outcome = Op.Outcome.OK;
        } catch (StoreUnavailableException e) {
            result = e.getClass().getSimpleName();
            outcome = Op.Outcome.FAIL;
        } catch (OutcomeUnknownException e) {
            result = e.getClass().getSimpleName();
            outcome = Op.Outcome.UNKNOWN;
        } catch (RuntimeException e) {
            result = describe(e);
            outcome = Op.Outcome.UNKNOWN;
        }
        history.record(new Op(process, thread, Op.Kind.RELEASE, victim.resourceId(), "", 0, "", invoked, now(), outcome,
                result, victim.id(), 0));
        call = null;
    }

    private void resize(Scenario.Resize step) {
        long invoked = now();
        begin("resize of " + step.resourceId() + " to " + step.capacity());
        Op.Outcome outcome;
        String result;
        try {
            strategy.resize(step.resourceId(), step.capacity());
            result = "done";
            outcome = Op.Outcome.OK;
        } catch (RuntimeException e) {
            result = describe(e);
            outcome = Op.Outcome.UNKNOWN;
        }
        history.record(new Op(process, thread, Op.Kind.RESIZE, step.resourceId(), "", (int) step.capacity(), "",
                invoked, now(), outcome, result, 0, 0));
        call = null;
    }

    /** An unexpected exception, in one short line without tabs (the history files are tab-separated). */
    private static String describe(RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = e.getClass().getSimpleName() + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        text = text.replaceAll("\\s+", " ");
        return text.length() > 160 ? text.substring(0, 160) + "..." : text;
    }

    /** Wall-clock microseconds: comparable across the processes of one machine. */
    static long now() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
