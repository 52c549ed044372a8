package dev.capacity.stress.internal;

import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A race between several JVM processes on one database: each process runs its own strategy (the
 * counter strategies can share a resource) on its share of one plan, so that the same resources,
 * the same idempotency keys and the same holders (of a resource with a per-holder limit) are hit
 * from different processes at once. The processes start
 * together ({@code READY} from each, then {@code GO} to all); when all have ended, their merged
 * histories are checked against the tables like any race.
 */
public final class MultiProcessRace {

    /** Beyond the race's deadline, for a process to start, connect and write its history. */
    private static final Duration START_AND_END = Duration.ofSeconds(60);

    private MultiProcessRace() {}

    /**
     * @param strategies one strategy name per process (a {@link dev.capacity.StrategyKind} name, or
     *     {@code class:NAME}, see {@link RaceWorker})
     */
    public record Config(List<String> strategies, int threadsPerProcess, Scenario scenario, int capacity, long seed) {
        public Config {
            if (scenario.aboutExpiry()) {
                throw new IllegalArgumentException("the " + scenario.label() + " scenario is about holds"
                        + " running out as the race's clock moves, which needs one clock for every client; it runs in"
                        + " one process");
            }
        }
    }

    public static RaceReport run(Database database, Config config, Path workDirectory) {
        return run(database, config, workDirectory, START_AND_END);
    }

    /** {@link #run(Database, Config, Path)}, waiting {@code readyTimeout} at most for each process to say READY. */
    static RaceReport run(Database database, Config config, Path workDirectory, Duration readyTimeout) {
        int processes = config.strategies().size();
        String prefix = RaceHarness.newPrefix("mp", config.seed());
        Scenario.Plan plan = plan(config.scenario(), prefix, config.threadsPerProcess() * processes, config.capacity(),
                config.seed());
        try (CapacityPool pool = CapacityPool.open(database.jdbcUrl(), database.user(), database.password(), 4)) {
            CapacitySchema.install(pool.jdbi());
            ReservationStrategy definer = JdbiStrategies.conditionalUpdate(pool.jdbi());
            plan.capacities().forEach(definer::define);
            plan.limits().forEach(definer::limitPerHolder);

            List<Process> children = new ArrayList<>();
            List<Path> histories = new ArrayList<>();
            try {
                for (int p = 0; p < processes; p++) {
                    Path history = workDirectory.resolve(prefix + "history-" + p + ".tsv");
                    histories.add(history);
                    children.add(start(database, config, processes, p, prefix, history, workDirectory));
                }
                for (int p = 0; p < processes; p++) {
                    awaitLine(children.get(p), "READY", readyTimeout, p, workDirectory, prefix);
                }
                long started = System.nanoTime();
                // each process ends its own race by the deadline: waiting longer is a backstop
                long limit = started + RaceHarness.deadline(plan.scripts(), 0).plus(START_AND_END).toNanos();
                for (Process child : children) {
                    Writer go = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8);
                    go.write("GO\n");
                    go.flush();
                }
                for (int p = 0; p < processes; p++) {
                    Process child = children.get(p);
                    if (!child.waitFor(Math.max(0, limit - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        throw new IllegalStateException("process " + p + " did not finish in "
                                + TimeUnit.NANOSECONDS.toSeconds(limit - started) + " s:\n" + log(workDirectory, prefix, p));
                    }
                    if (child.exitValue() != 0) {
                        throw new IllegalStateException("process " + p + " failed with exit code " + child.exitValue()
                                + ":\n" + log(workDirectory, prefix, p));
                    }
                }
                long elapsed = System.nanoTime() - started;
                History merged = new History();
                List<String> stuck = new ArrayList<>();
                for (Path file : histories) {
                    merged.recordAll(History.read(file).ops());
                    if (Files.exists(RaceWorker.stuckFile(file))) {
                        stuck.addAll(List.of(Files.readString(RaceWorker.stuckFile(file)).split("\n\n")));
                    }
                }
                Snapshot after = Snapshot.fromTables(pool.jdbi(), "capacity_", prefix);
                HistoryChecker.Verdict verdict = HistoryChecker.check(merged.ops(), after, plan.capacities(),
                        plan.limits(), false).withStuck(stuck);
                RaceHarness.Race race = new RaceHarness.Race(String.join("+", config.strategies()),
                        database.name() + " x" + processes, config.scenario().label(),
                        config.seed(), prefix, plan, 100, 0, null);
                return RaceReport.of(race, config.threadsPerProcess() * processes, merged.ops(), elapsed, verdict);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                children.forEach(Process::destroyForcibly);
            }
        }
    }

    /**
     * The plan of a multi-process race: the scenario's, without its moves of the race's clock.
     * Each process has a clock of its own, so they stand still at the race's start for every
     * process alike, and every strategy reads its process's: the holds of the plan never run out.
     */
    static Scenario.Plan plan(Scenario scenario, String prefix, int threads, int capacity, long seed) {
        return scenario.plan(prefix, threads, capacity, seed).withoutClockMoves();
    }

    private static Process start(Database database, Config config, int processes, int process, String prefix,
                                 Path history, Path workDirectory) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), RaceWorker.class.getName(),
                "--jdbc-url", database.jdbcUrl(), "--user", database.user(), "--password", database.password(),
                "--strategy", config.strategies().get(process), "--scenario",
                config.scenario().label(), "--threads", String.valueOf(config.threadsPerProcess()),
                "--processes", String.valueOf(processes), "--process", String.valueOf(process),
                "--capacity", String.valueOf(config.capacity()), "--seed", String.valueOf(config.seed()),
                "--prefix", prefix, "--history", history.toString()));
        return new ProcessBuilder(command)
                .redirectError(workDirectory.resolve(prefix + "process-" + process + ".log").toFile())
                .start();
    }

    /** Reads the child's standard output until {@code expected}; fails if it ends first. */
    /**
     * Waits until {@code child} prints {@code expected} on a line of its own, for {@code timeout}
     * at most: a child that hangs before it (a server it cannot reach, a lock it waits for) fails
     * the race with its log instead of hanging it.
     */
    private static void awaitLine(Process child, String expected, Duration timeout, int process, Path workDirectory,
                                  String prefix) {
        CompletableFuture<Boolean> said = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.equals(expected)) {
                        said.complete(true);
                        return;
                    }
                }
                said.complete(false);
            } catch (IOException e) {
                said.completeExceptionally(e);
            }
        }, "multi-process-race-" + process + "-stdout");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!said.get(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("process " + process + " ended before saying " + expected + ":\n"
                        + log(workDirectory, prefix, process));
            }
        } catch (TimeoutException e) {
            child.destroyForcibly();
            throw new IllegalStateException("process " + process + " did not say " + expected + " in "
                    + timeout.toSeconds() + " s:\n" + log(workDirectory, prefix, process));
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not read what process " + process + " said", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for process " + process + " to say " + expected, e);
        }
    }

    private static String log(Path workDirectory, String prefix, int process) {
        try {
            return Files.readString(workDirectory.resolve(prefix + "process-" + process + ".log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
