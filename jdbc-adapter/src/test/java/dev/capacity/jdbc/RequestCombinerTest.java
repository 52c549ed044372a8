package dev.capacity.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.jdbc.testing.Waits;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The hand-off of the combining strategy, without a database: one batch at a time, arrival
 * order, every request answered exactly once by the batch that took it, or given up on (never
 * both) when its deadline passes or the combiner is closed first.
 */
final class RequestCombinerTest {

    private static final long LONG_DEADLINE = TimeUnit.SECONDS.toNanos(30);
    private static final String NOT_TAKEN = "not taken";

    /** A runner that answers each request with its text in upper case and records its batches. */
    private static final class Recorder implements RequestCombiner.BatchRunner<String, String> {
        final List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger mostRunningAtOnce = new AtomicInteger();
        volatile CountDownLatch gate = new CountDownLatch(0);
        final CountDownLatch firstBatchStarted = new CountDownLatch(1);

        @Override
        public void run(List<RequestCombiner.Pending<String, String>> batch) {
            mostRunningAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                batches.add(batch.stream().map(RequestCombiner.Pending::request).toList());
                firstBatchStarted.countDown();
                Waits.until(gate);
                for (RequestCombiner.Pending<String, String> pending : batch) {
                    if (pending.request().startsWith("fail")) {
                        pending.fail(new IllegalStateException("refused " + pending.request()));
                    } else {
                        pending.answer(pending.request().toUpperCase());
                    }
                }
            } finally {
                running.decrementAndGet();
            }
        }
    }

    /** Submits "first" on {@code pool} and returns once its batch runs, held at the recorder's gate. */
    private static Future<String> firstBatchHeld(ExecutorService pool, RequestCombiner<String, String> combiner,
                                                 Recorder recorder) {
        Future<String> first = pool.submit(() -> combiner.submit("first", System.nanoTime() + LONG_DEADLINE, NOT_TAKEN));
        Waits.until(recorder.firstBatchStarted);
        return first;
    }

    @Test
    void submit_alone_isABatchOfOne() {
        Recorder recorder = new Recorder();
        RequestCombiner<String, String> combiner = new RequestCombiner<>(8, 16, recorder);

        assertThat(combiner.submit("a", System.nanoTime() + LONG_DEADLINE, NOT_TAKEN)).isEqualTo("A");
        assertThat(recorder.batches).containsExactly(List.of("a"));
    }

    @Test
    void submit_whileABatchRuns_waitsAndIsTakenWithTheOthersInArrivalOrder() throws Exception {
        Recorder recorder = new Recorder();
        recorder.gate = new CountDownLatch(1);
        RequestCombiner<String, String> combiner = new RequestCombiner<>(8, 16, recorder);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<String> first = firstBatchHeld(pool, combiner, recorder);
            List<Future<String>> later = new ArrayList<>();
            for (String request : List.of("b", "c", "d")) {
                later.add(pool.submit(() -> combiner.submit(request, System.nanoTime() + LONG_DEADLINE, NOT_TAKEN)));
                Waits.until(() -> combiner.waiting() == later.size());
            }
            recorder.gate.countDown();

            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("FIRST");
            for (int i = 0; i < later.size(); i++) {
                assertThat(later.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(List.of("B", "C", "D").get(i));
            }
            assertThat(recorder.batches).containsExactly(List.of("first"), List.of("b", "c", "d"));
            assertThat(recorder.mostRunningAtOnce).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void submit_manyThreadsAtOnce_oneBatchAtATimeAndEveryRequestAnsweredOnce() throws Exception {
        Recorder recorder = new Recorder();
        RequestCombiner<String, String> combiner = new RequestCombiner<>(4, 64, recorder);
        int threads = 8;
        int perThread = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<String>>> answers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                answers.add(pool.submit(() -> {
                    Waits.until(start);
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        mine.add(combiner.submit("r" + thread + "-" + i, System.nanoTime() + LONG_DEADLINE, NOT_TAKEN));
                    }
                    return mine;
                }));
            }
            start.countDown();
            for (int t = 0; t < threads; t++) {
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    expected.add("R" + t + "-" + i);
                }
                assertThat(answers.get(t).get(60, TimeUnit.SECONDS)).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(recorder.mostRunningAtOnce).hasValue(1);
        assertThat(recorder.batches).allSatisfy(batch -> assertThat(batch).hasSizeBetween(1, 4));
        assertThat(recorder.batches.stream().mapToInt(List::size).sum()).isEqualTo(threads * perThread);
    }

    @Test
    void submit_deadlinePassingBeforeABatchTakesIt_isNotTakenAndNeverRun() throws Exception {
        Recorder recorder = new Recorder();
        recorder.gate = new CountDownLatch(1);
        RequestCombiner<String, String> combiner = new RequestCombiner<>(8, 16, recorder);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<String> first = firstBatchHeld(pool, combiner, recorder);

            // the batch ahead of it cannot finish before this deadline
            String late = combiner.submit("late", System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50), NOT_TAKEN);

            assertThat(late).isEqualTo(NOT_TAKEN);
            recorder.gate.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("FIRST");
            assertThat(combiner.submit("next", System.nanoTime() + LONG_DEADLINE, NOT_TAKEN)).isEqualTo("NEXT");
            assertThat(recorder.batches).containsExactly(List.of("first"), List.of("next"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void submit_whenTheBatchFailsIt_throwsWhatTheBatchSaid() {
        RequestCombiner<String, String> combiner = new RequestCombiner<>(8, 16, new Recorder());

        assertThatThrownBy(() -> combiner.submit("fail-me", System.nanoTime() + LONG_DEADLINE, NOT_TAKEN))
                .isInstanceOf(IllegalStateException.class).hasMessage("refused fail-me");
    }

    @Test
    void failWaiting_failsTheWaitingRequestsAndLetsTheRunningBatchFinish() throws Exception {
        Recorder recorder = new Recorder();
        recorder.gate = new CountDownLatch(1);
        RequestCombiner<String, String> combiner = new RequestCombiner<>(8, 16, recorder);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<String> running = firstBatchHeld(pool, combiner, recorder);
            Future<String> waiting = pool.submit(() -> combiner.submit("waiting", System.nanoTime() + LONG_DEADLINE, NOT_TAKEN));
            Waits.until(() -> combiner.waiting() == 1);

            combiner.failWaiting(new IllegalStateException("closed"));
            recorder.gate.countDown();

            assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThat(running.get(30, TimeUnit.SECONDS)).isEqualTo("FIRST");
            assertThat(recorder.batches).containsExactly(List.of("first"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void submit_queueFullUntilTheDeadline_isNotTaken() throws Exception {
        Recorder recorder = new Recorder();
        recorder.gate = new CountDownLatch(1);
        RequestCombiner<String, String> combiner = new RequestCombiner<>(8, 1, recorder);
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<String> first = firstBatchHeld(pool, combiner, recorder);

            assertThat(combiner.submit("no-room", System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50), NOT_TAKEN))
                    .isEqualTo(NOT_TAKEN);
            recorder.gate.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("FIRST");
            assertThat(recorder.batches).containsExactly(List.of("first"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void runAsOneBatch_aRunnerThatLeavesARequestUnanswered_isCaught() {
        assertThat(RequestCombiner.runAsOneBatch(List.of("x", "y"), new Recorder())).containsExactly("X", "Y");
        assertThatThrownBy(() -> RequestCombiner.<String, String>runAsOneBatch(List.of("x", "y"),
                batch -> batch.get(0).answer("only one")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unanswered");
    }
}
