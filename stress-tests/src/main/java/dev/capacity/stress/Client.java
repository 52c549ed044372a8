package dev.capacity.stress;

import dev.capacity.OutcomeUnknownException;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StoreUnavailableException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * One racing thread: runs a script against a strategy and records every call in a history. A
 * CONTENDED answer is retried as a patient client would, up to a limit; each try is an operation
 * of its own. Not threadsafe: one per thread.
 */
final class Client {

    /** A reservation this thread holds, so that it can release it later. */
    private record Held(String resourceId, long id) {}

    private final int process;
    private final int thread;
    private final ReservationStrategy strategy;
    private final History history;
    private final int contendedRetries;
    private final long deadlineNanos;
    private final BooleanSupplier stop;
    private final List<Held> held = new ArrayList<>();

    /**
     * @param deadlineNanos a {@link System#nanoTime()} after which the client stops, or
     *     {@link Long#MAX_VALUE} to run its script once; with a deadline the script is repeated
     *     until then, its keys made new for each round
     * @param stop asked before each step: true ends the client early
     */
    Client(int process, int thread, ReservationStrategy strategy, History history, int contendedRetries,
           long deadlineNanos, BooleanSupplier stop) {
        this.process = process;
        this.thread = thread;
        this.strategy = strategy;
        this.history = history;
        this.contendedRetries = contendedRetries;
        this.deadlineNanos = deadlineNanos;
        this.stop = stop;
    }

    void run(List<Scenario.Step> script) {
        if (deadlineNanos == Long.MAX_VALUE) {
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
        return System.nanoTime() >= deadlineNanos || stop.getAsBoolean();
    }

    private void reserve(Scenario.Reserve step) {
        ReservationRequest request = new ReservationRequest(step.resourceId(), step.holderId(), step.quantity(),
                step.key().isEmpty() ? null : step.key());
        for (int attempt = 0; attempt <= contendedRetries; attempt++) {
            long invoked = now();
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
            if (!"CONTENDED".equals(result)) {
                return;
            }
        }
    }

    private void release(Held victim) {
        long invoked = now();
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
    }

    private void resize(Scenario.Resize step) {
        long invoked = now();
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
