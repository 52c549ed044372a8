package dev.capacity.stress.internal;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One process of a {@link MultiProcessRace}: rebuilds the race's plan from the seed, takes its
 * threads' share of the scripts, says {@code READY} on standard output, waits for {@code GO} on
 * standard input (so that every process starts together, without sleeping), races, and writes
 * its history to a file, and beside it ({@link #stuckFile}) the threads still running at the
 * race's deadline, if any.
 */
public final class RaceWorker {

    private RaceWorker() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "capacity", "history", "jdbc-url", "password", "prefix", "process", "processes", "scenario",
                "seed", "strategy", "threads", "user");
        int process = Integer.parseInt(options.get("process"));
        int threads = Integer.parseInt(options.get("threads"));
        int processes = Integer.parseInt(options.get("processes"));
        Scenario scenario = Scenario.fromLabel(options.get("scenario"));
        Scenario.Plan plan = MultiProcessRace.plan(scenario, options.get("prefix"), threads * processes,
                Integer.parseInt(options.get("capacity")), Long.parseLong(options.get("seed")));
        List<List<Scenario.Step>> mine = plan.slice(process * threads, (process + 1) * threads);

        try (CapacityPool pool = CapacityPool.open(options.get("jdbc-url"), options.get("user"), options.get("password"),
                threads + 2)) {
            // every process's clock stands at the race's start (the plan does not move it)
            RaceClock clock = new RaceClock();
            ReservationStrategy strategy = strategy(options.get("strategy"), pool.jdbi(), threads, clock);
            AutoCloseable closer = strategy instanceof AutoCloseable c ? c : () -> { };
            pool.jdbi().useHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
            System.out.println("READY");
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line = in.readLine();
            if (!"GO".equals(line)) {
                throw new IllegalStateException("expected GO, got " + line);
            }
            History history = new History();
            List<String> stuck = RaceHarness.runThreads(process, mine, strategy, clock, history, 100, 0, false,
                    () -> false);
            Path file = Path.of(options.get("history"));
            history.write(file);
            if (!stuck.isEmpty()) {
                Files.writeString(stuckFile(file), String.join("\n\n", stuck), StandardCharsets.UTF_8);
            }
            closer.close();
        }
        System.out.println("DONE");
    }

    /** Where a worker that wrote {@code history} lists its stuck threads, one paragraph each. */
    static Path stuckFile(Path history) {
        return history.resolveSibling(history.getFileName() + ".stuck");
    }

    /**
     * A built-in strategy by name, judging holds by {@code clock}, or {@code class:NAME} for a
     * strategy class with a constructor taking a {@link Jdbi} and the number of threads (the
     * negative control of the tests).
     */
    static ReservationStrategy strategy(String name, Jdbi jdbi, int threads, RaceClock clock)
            throws ReflectiveOperationException {
        if (name.startsWith("class:")) {
            return (ReservationStrategy) Class.forName(name.substring("class:".length()))
                    .getConstructor(Jdbi.class, int.class).newInstance(jdbi, threads);
        }
        return JdbiStrategies.of(StrategyKind.fromName(name), jdbi, clock.options());
    }
}
