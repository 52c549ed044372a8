package dev.capacity.stress.internal;

import dev.capacity.CapacityException;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.OutcomeUnknownException;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.StoreUnavailableException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One racing thread: runs a script against a strategy and records every call in a history, with
 * the race's clock read just before and just after it (an order as one operation per line). A CONTENDED answer is retried as a patient
 * client would, up to a number of retries and for {@link RaceHarness#PATIENCE} at most; each try
 * is an operation of its own. A confirm is retried the same way when it gave up on lost races,
 * and when its outcome is unknown or the store was out of reach: a careful caller asks again, and
 * a confirm that took effect the first time answers ALREADY_CONFIRMED. Not threadsafe: one per
 * thread, except {@link #doing()}.
 */
final class Client {

    /** A reservation this thread holds, so that it can confirm or release it later. */
    private record Held(String resourceId, long id, boolean hold) {

        Held(String resourceId, long id) {
            this(resourceId, id, true);
        }
    }

    /** What a confirm's try came to: its result, and whether to try again. */
    private record Try(Op.Outcome outcome, String result) {
        boolean again() {
            return outcome != Op.Outcome.OK;
        }
    }

    /** A call in progress: what, and since when ({@link System#nanoTime()}). */
    private record Call(String what, long since) {}

    private final int process;
    private final int thread;
    private final ReservationStrategy strategy;
    private final Function<ReservationRequest, ReservationResult> reserve;
    private final RaceClock clock;
    private final History history;
    private final int contendedRetries;
    private final long endNanos;
    private final BooleanSupplier stop;
    private final Runnable gaveUp;
    private final List<Held> held = new ArrayList<>();
    private final Map<String, Held> byHolder = new HashMap<>();
    private final Map<String, List<Held>> byOrder = new HashMap<>();
    /** Order calls made so far: the number of the next ({@link Op#orderId()} is made from it). */
    private long orders;
    private volatile Call call;

    /**
     * @param endNanos a {@link System#nanoTime()} after which the client stops, or
     *     {@link Long#MAX_VALUE} to run its script once; with an end the script is repeated
     *     until then, its keys made new for each round
     * @param stop asked before each step: true ends the client early
     * @param reserve makes each reserve: the strategy's own, or the caller's code around it
     * @param gaveUp told when the client gives up on a request that stayed CONTENDED
     */
    Client(int process, int thread, ReservationStrategy strategy, Function<ReservationRequest, ReservationResult> reserve,
           RaceClock clock, History history, int contendedRetries, long endNanos, BooleanSupplier stop, Runnable gaveUp) {
        this.process = process;
        this.thread = thread;
        this.strategy = strategy;
        this.reserve = reserve;
        this.clock = clock;
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
                byHolder.remove(reserve.holderId());
                reserve(reserve.key().isEmpty() ? reserve
                        : new Scenario.Reserve(reserve.resourceId(), reserve.holderId(), reserve.quantity(),
                                reserve.key() + keySuffix, reserve.hold()));
            } else if (step instanceof Scenario.Order order) {
                byOrder.remove(order.name());
                order(order, keySuffix);
            } else if (step instanceof Scenario.ReleaseOrder release) {
                for (Held victim : byOrder.getOrDefault(release.name(), List.of())) {
                    held.remove(victim);
                    byHolder.values().remove(victim);
                    release(victim);
                }
                byOrder.remove(release.name());
            } else if (step instanceof Scenario.ConfirmOrder confirm) {
                for (Held line : List.copyOf(byOrder.getOrDefault(confirm.name(), List.of()))) {
                    if (line.hold()) {
                        confirm(line);
                    }
                }
            } else if (step instanceof Scenario.ReleaseHeld release) {
                if (!held.isEmpty()) {
                    Held victim = held.remove(release.pick() % held.size());
                    byHolder.values().remove(victim);
                    byOrder.values().forEach(lines -> lines.remove(victim));
                    release(victim);
                }
            } else if (step instanceof Scenario.Release release) {
                Held victim = byHolder.remove(release.holderId());
                if (victim != null) {
                    held.remove(victim);
                    release(victim);
                }
            } else if (step instanceof Scenario.Confirm confirm) {
                Held hold = byHolder.get(confirm.holderId());
                if (hold != null) {
                    confirm(hold);
                }
            } else if (step instanceof Scenario.Advance advance) {
                clock.advance(advance.by());
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
                step.key().isEmpty() ? null : step.key(), step.hold());
        long holdMicros = step.hold() == null ? 0 : step.hold().toNanos() / 1_000;
        long started = System.nanoTime();
        for (int attempt = 0; ; attempt++) {
            long invoked = now();
            long clockFrom = clock.micros();
            begin("reserve of " + step.quantity() + " unit(s) of " + step.resourceId() + " for " + step.holderId());
            Op.Outcome outcome;
            String result;
            long id = 0;
            int attempts = 0;
            long expiresAt = 0;
            try {
                ReservationResult answer = reserve.apply(request);
                result = answer.status().name();
                attempts = answer.attempts();
                outcome = answer.isReserved() ? Op.Outcome.OK : Op.Outcome.FAIL;
                if (answer.isReserved()) {
                    id = answer.reservation().id();
                    expiresAt = answer.reservation().expiresAt().map(RaceClock::micros).orElse(0L);
                    Held granted = new Held(step.resourceId(), id);
                    if (answer.status() == ReservationResult.Status.RESERVED) {
                        held.add(granted);
                    }
                    byHolder.put(step.holderId(), granted);
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
            long completed = now();
            history.record(new Op(process, thread, Op.Kind.RESERVE, step.resourceId(), step.holderId(), step.quantity(),
                    step.key(), invoked, completed, outcome, result, id, attempts, clockFrom, clock.micros(), holdMicros,
                    expiresAt));
            call = null;
            if (!"CONTENDED".equals(result)) {
                return;
            }
            if (patienceSpent(attempt, started)) {
                gaveUp.run();
                return;
            }
        }
    }

    /**
     * Places an order ({@code reserveAll}), trying again while it is CONTENDED, and records each
     * try as one operation per line.
     */
    private void order(Scenario.Order step, String keySuffix) {
        List<ReservationRequest> lines = new ArrayList<>();
        for (Scenario.Reserve line : step.lines()) {
            lines.add(new ReservationRequest(line.resourceId(), line.holderId(), line.quantity(),
                    line.key().isEmpty() ? null : line.key() + keySuffix, line.hold()));
        }
        long started = System.nanoTime();
        for (int attempt = 0; ; attempt++) {
            long orderId = ((long) (process + 1) << 40) | ((long) thread << 24) | ++orders;
            long invoked = now();
            long clockFrom = clock.micros();
            begin("order of " + lines.size() + " line(s) for " + lines.get(0).holderId());
            Op.Outcome outcome;
            String result;
            OrderResult answer = null;
            try {
                answer = strategy.reserveAll(lines);
                result = answer.status().name();
                outcome = answer.isReserved() ? Op.Outcome.OK : Op.Outcome.FAIL;
            } catch (OutcomeUnknownException e) {
                result = e.getClass().getSimpleName();
                outcome = Op.Outcome.UNKNOWN;
            } catch (StoreUnavailableException e) {
                result = e.getClass().getSimpleName();
                outcome = Op.Outcome.FAIL;
            } catch (RuntimeException e) {
                result = describe(e);
                outcome = Op.Outcome.UNKNOWN;
            }
            long completed = now();
            long clockTo = clock.micros();
            List<Held> granted = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                ReservationRequest line = lines.get(i);
                Reservation reservation = answer != null && i < answer.reservations().size()
                        ? answer.reservations().get(i) : null;
                long id = reservation == null ? 0 : reservation.id();
                long expiresAt = reservation == null ? 0 : reservation.expiresAt().map(RaceClock::micros).orElse(0L);
                history.record(new Op(process, thread, Op.Kind.ORDER, line.resourceId(), line.holderId(), line.quantity(),
                        line.idempotencyKey() == null ? "" : line.idempotencyKey(), invoked, completed, outcome, result, id,
                        1, clockFrom, clockTo, line.hold() == null ? 0 : line.hold().toNanos() / 1_000, expiresAt, orderId, i,
                        answer == null ? OrderResult.NO_LINE : answer.failedLine()));
                if (reservation != null) {
                    granted.add(new Held(line.resourceId(), id, line.isHold()));
                }
            }
            call = null;
            if (answer != null && answer.isReserved()) {
                if (answer.status() == ReservationResult.Status.RESERVED) {
                    held.addAll(granted);
                }
                byOrder.put(step.name(), granted);
            }
            if (!"CONTENDED".equals(result)) {
                return;
            }
            if (patienceSpent(attempt, started)) {
                gaveUp.run();
                return;
            }
        }
    }

    private boolean patienceSpent(int attempt, long startedNanos) {
        return attempt >= contendedRetries || System.nanoTime() - startedNanos >= RaceHarness.PATIENCE.toNanos();
    }

    /**
     * Confirms {@code hold}, asking again while the answer is not definite. Once confirmed it
     * stays held, for a later release; a hold that expired or was released is forgotten.
     */
    private void confirm(Held hold) {
        long started = System.nanoTime();
        for (int attempt = 0; ; attempt++) {
            long invoked = now();
            long clockFrom = clock.micros();
            begin("confirm of hold " + hold.id() + " of " + hold.resourceId());
            Try done = confirmOnce(hold.id());
            history.record(new Op(process, thread, Op.Kind.CONFIRM, hold.resourceId(), "", 0, "", invoked, now(),
                    done.outcome(), done.result(), hold.id(), 0, clockFrom, clock.micros(), 0, 0));
            call = null;
            if (!done.again()) {
                if (!done.result().equals(HoldStatus.CONFIRMED.name())
                        && !done.result().equals(HoldStatus.ALREADY_CONFIRMED.name())) {
                    byHolder.values().remove(hold);
                    held.remove(hold);
                    byOrder.values().forEach(lines -> lines.remove(hold));
                }
                return;
            }
            if (patienceSpent(attempt, started)) {
                if (done.result().equals("CONTENDED")) {
                    gaveUp.run();
                }
                return;
            }
        }
    }

    private Try confirmOnce(long id) {
        try {
            return new Try(Op.Outcome.OK, strategy.confirm(id).name());
        } catch (OutcomeUnknownException e) {
            return new Try(Op.Outcome.UNKNOWN, e.getClass().getSimpleName());
        } catch (StoreUnavailableException e) {
            return new Try(Op.Outcome.FAIL, e.getClass().getSimpleName());
        } catch (CapacityException e) {
            if (e.getClass() != CapacityException.class) {
                return new Try(Op.Outcome.UNKNOWN, describe(e));
            }
            // the documented answer to a confirm that lost every race: nothing changed
            return new Try(Op.Outcome.FAIL, "CONTENDED");
        } catch (RuntimeException e) {
            return new Try(Op.Outcome.UNKNOWN, describe(e));
        }
    }

    private void begin(String what) {
        call = new Call(what, System.nanoTime());
    }

    private void release(Held victim) {
        long invoked = now();
        long clockFrom = clock.micros();
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
                result, victim.id(), 0, clockFrom, clock.micros(), 0, 0));
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
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /** Wall-clock microseconds: comparable across the processes of one machine. */
    static long now() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
