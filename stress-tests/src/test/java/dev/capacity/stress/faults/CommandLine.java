package dev.capacity.stress.faults;

import dev.capacity.StrategyKind;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The fault suite's command line, parsed: how the suite runs, which strategies it races and on
 * which database.
 *
 * @param settings the settings, with the seed given or a random one
 * @param strategies the strategies to race
 * @param database the server the suite starts and breaks
 */
record CommandLine(Settings settings, List<StrategyKind> strategies, FaultTarget.Kind database) {

    static final String USAGE = """
            usage: exec:java@faults -Dexec.args="[options]"
              --seconds N         each race runs at least N seconds (default 3)
              --warmup N          seconds of unreported fault-free racing per strategy first (default 15)
              --rounds N          rounds of the fault-free race, kills, lost COMMITs and timeouts (default 5)
              --kill-pause MS     the longest pause between two backend terminations (default 400)
              --seed N            the seed of the plans and faults (default: random, printed)
              --strategies a,b    strategies by name (default: the five database strategies)
              --mariadb           on an embedded MariaDB server (default: an embedded PostgreSQL server)
              --help              this text""";

    private static final Set<String> OPTIONS = Set.of("seed", "strategies", "seconds", "warmup", "rounds", "kill-pause");
    private static final Set<String> FLAGS = Set.of("mariadb");

    /** The command line ends the program before the suite runs: what to print, and the exit status. */
    static final class Exit extends Exception {
        private final int status;

        Exit(String message, int status) {
            super(message);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    /**
     * The command line of {@code args}; throws {@link Exit} with the usage and status 0 for
     * {@code --help}, or with what is wrong, the usage and status 2.
     */
    static CommandLine parse(String[] args) throws Exit {
        Map<String, String> options = new LinkedHashMap<>();
        Set<String> flags = new java.util.HashSet<>();
        for (int i = 0; i < args.length; i += 2) {
            String name = args[i].replaceFirst("^--", "");
            if (name.equals("help")) {
                throw new Exit(USAGE, 0);
            }
            if (FLAGS.contains(name) && !name.equals(args[i])) {
                flags.add(name);
                i--;
                continue;
            }
            if (!OPTIONS.contains(name) || i + 1 >= args.length) {
                throw new Exit((i + 1 >= args.length && !name.equals(args[i]) ? "missing value for " : "unknown option ")
                        + args[i] + "\n" + USAGE, 2);
            }
            options.put(name, args[i + 1]);
        }
        try {
            long seed = options.containsKey("seed") ? wholeNumber(options, "seed", 0, Long.MIN_VALUE) : new Random().nextLong();
            List<StrategyKind> strategies = options.containsKey("strategies")
                    ? Arrays.stream(options.get("strategies").split(",")).map(StrategyKind::fromName).toList()
                    : List.of(StrategyKind.OPTIMISTIC_VERSION, StrategyKind.PESSIMISTIC_LOCK, StrategyKind.CONDITIONAL_UPDATE,
                            StrategyKind.UNIQUE_SLOTS, StrategyKind.COMBINING);
            if (strategies.contains(StrategyKind.IN_MEMORY)) {
                throw new IllegalArgumentException("strategies: in-memory has no database to break");
            }
            Settings defaults = Settings.defaults(seed);
            Settings settings = new Settings(defaults.threads(), defaults.capacity(),
                    Duration.ofSeconds(wholeNumber(options, "seconds", 3, 1)), Duration.ofSeconds(wholeNumber(options, "warmup", 15, 0)),
                    (int) Math.min(Integer.MAX_VALUE, wholeNumber(options, "rounds", 5, 1)), defaults.kills(),
                    Duration.ofMillis(wholeNumber(options, "kill-pause", defaults.killPause().toMillis(), 1)),
                    defaults.commitFaults(), defaults.commitFaultShare(), defaults.timeouts(), defaults.cancels(), seed);
            return new CommandLine(settings, strategies,
                    flags.contains("mariadb") ? FaultTarget.Kind.MARIADB : FaultTarget.Kind.POSTGRES);
        } catch (IllegalArgumentException e) {
            throw new Exit(e.getMessage() + "\n" + USAGE, 2);
        }
    }

    /** The option's value, a whole number of at least {@code least}, or {@code fallback} if it was not given. */
    private static long wholeNumber(Map<String, String> options, String name, long fallback, long least) {
        String given = options.get(name);
        if (given == null) {
            return fallback;
        }
        long value;
        try {
            value = Long.parseLong(given);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, was '" + given + "'");
        }
        if (value < least) {
            throw new IllegalArgumentException("--" + name + " must be at least " + least + ", was " + value);
        }
        return value;
    }
}
