package dev.capacity.stress.internal;

import dev.capacity.InMemoryStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The race harness from the command line: every chosen strategy on every chosen database through
 * every chosen scenario, a table of the results, and exit code 1 (with the seed and the command
 * that replays it) if any history shows a violation.
 *
 * <pre>
 * mvn -q -pl stress-tests -am compile exec:java@harness \
 *     -Dexec.args="--databases h2,postgres --threads 16 --capacity 400"
 * </pre>
 */
public final class RaceHarnessMain {

    private static final String USAGE = String.join("\n",
            "Races reservation strategies and checks every history for oversold, undersold, lost and",
            "unexpected reservations, ledgers that do not add up, idempotency keys used twice, and (in the",
            "checkout scenario, on a clock of the race's own) confirms after the expiry and holds ended twice;",
            "in the crossing-orders scenario for half orders (granted or refused in part), and in the",
            "holder-bot scenario for holders over their limit, or refused for it while under it.",
            "",
            "Options:",
            "  --strategies LIST   strategies to race, or 'all' (default): "
                    + String.join(", ", Arrays.stream(StrategyKind.values()).map(StrategyKind::strategyName).toList()),
            "  --databases LIST    h2, h2-file, postgres, or 'all' (default: h2,postgres)",
            "  --scenarios LIST    " + String.join(", ", Arrays.stream(Scenario.values())
                    .map(s -> s.label()).toList()) + ", or 'all' (default)",
            "  --threads N         racing threads (default 8)",
            "  --capacity N        scale of each scenario, in units (default 100)",
            "  --seed N            seed of the plans (default: random, printed)",
            "  --help              this text");

    private RaceHarnessMain() {}

    public static void main(String[] args) {
        List<StrategyKind> kinds;
        List<String> databases;
        List<Scenario> scenarios;
        int threads;
        int capacity;
        long seed;
        try {
            Map<String, String> options = parse(args);
            if (options.containsKey("help")) {
                System.out.println(USAGE);
                return;
            }
            kinds = list(options.getOrDefault("strategies", "all"), StrategyKind.values(), StrategyKind::strategyName);
            databases = list(options.getOrDefault("databases", "h2,postgres"),
                    new String[] {"h2", "h2-file", "postgres"}, s -> s);
            scenarios = list(options.getOrDefault("scenarios", "all"), Scenario.values(),
                    s -> s.label());
            threads = positive(options, "threads", 8);
            capacity = positive(options, "capacity", 100);
            seed = options.containsKey("seed") ? seed(options.get("seed")) : new Random().nextLong();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + USAGE);
            System.exit(2);
            return;
        }
        System.out.println("race harness: seed " + seed + ", " + threads + " threads, capacity " + capacity);

        List<RaceReport> reports = run(kinds, databases, scenarios, threads, capacity, seed);
        System.out.println();
        System.out.print(RaceReport.table(reports));
        boolean ok = reports.stream().allMatch(RaceReport::ok);
        System.out.println(ok ? "\nevery history checked out." : "\nVIOLATIONS FOUND (seed " + seed + ")");
        System.exit(ok ? 0 : 1);
    }

    /** Runs every combination; the in-memory strategy once, on no database. */
    public static List<RaceReport> run(List<StrategyKind> kinds, List<String> databases, List<Scenario> scenarios,
                                       int threads, int capacity, long seed) {
        List<RaceReport> reports = new ArrayList<>();
        if (kinds.contains(StrategyKind.IN_MEMORY)) {
            for (Scenario scenario : scenarios) {
                RaceClock clock = new RaceClock();
                InMemoryStrategy strategy = new InMemoryStrategy(clock.options());
                reports.add(RaceHarness.run("in-memory", "memory", strategy,
                        r -> Snapshot.fromAvailability(strategy, r.capacities().keySet()),
                        new RaceHarness.Config(scenario, threads, capacity, seed, 100, clock)));
            }
        }
        for (String name : databases) {
            List<StrategyKind> jdbc = kinds.stream().filter(k -> k != StrategyKind.IN_MEMORY).toList();
            if (jdbc.isEmpty()) {
                continue;
            }
            try (Opened opened = Opened.open(name, threads)) {
                for (StrategyKind kind : jdbc) {
                    for (Scenario scenario : scenarios) {
                        RaceClock clock = new RaceClock();
                        Function<RaceHarness.Resources, Snapshot> snapshot =
                                r -> Snapshot.fromTables(opened.pool.jdbi(), "capacity_", r.prefix());
                        try (JdbiReservationStrategy strategy = JdbiStrategies.of(kind, opened.pool.jdbi(), clock.options())) {
                            reports.add(RaceHarness.run(kind.strategyName(), name, strategy, snapshot,
                                    new RaceHarness.Config(scenario, threads, capacity, seed, 100, clock)));
                        }
                        System.out.print(".");
                    }
                }
            }
        }
        return reports;
    }

    /** A database opened for the harness, with a pool and the tables. */
    private static final class Opened implements AutoCloseable {
        final CapacityPool pool;
        final EmbeddedPostgresServer server;

        private Opened(CapacityPool pool, EmbeddedPostgresServer server) {
            this.pool = pool;
            this.server = server;
        }

        static Opened open(String name, int threads) {
            EmbeddedPostgresServer server = null;
            Database database;
            switch (name) {
                case "h2":
                    database = Database.h2Memory("race-harness");
                    break;
                case "h2-file":
                    try {
                        database = Database.h2File(Files.createTempDirectory("race-harness").resolve("capacity"));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    break;
                default:
                    server = EmbeddedPostgresServer.start(Durability.FAST);
                    database = server.database();
            }
            CapacityPool pool = CapacityPool.open(database.jdbcUrl(), database.user(), database.password(), threads + 4);
            CapacitySchema.install(pool.jdbi());
            return new Opened(pool, server);
        }

        @Override
        public void close() {
            pool.close();
            if (server != null) {
                server.close();
            }
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> known = List.of("strategies", "databases", "scenarios", "threads", "capacity", "seed", "help");
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
            }
            String name = args[i].substring(2);
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
            if (name.equals("help")) {
                options.put(name, "");
            } else if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option '" + args[i] + "' needs a value");
            } else {
                options.put(name, args[++i]);
            }
        }
        return options;
    }

    private static <T> List<T> list(String value, T[] all, Function<T, String> name) {
        if (value.equals("all")) {
            return List.of(all);
        }
        List<T> chosen = new ArrayList<>();
        for (String part : value.split(",")) {
            String wanted = part.trim().toLowerCase(Locale.ROOT);
            T match = Arrays.stream(all).filter(t -> name.apply(t).equals(wanted)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown value '" + part + "'; known: "
                            + String.join(", ", Arrays.stream(all).map(name).toList())));
            chosen.add(match);
        }
        return chosen;
    }

    private static int positive(Map<String, String> options, String name, int fallback) {
        String value = options.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < 1) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a positive whole number, was '" + value + "'");
        }
    }

    private static long seed(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed must be a whole number, was '" + value + "'");
        }
    }
}
