package dev.capacity.examples.race;

import dev.capacity.OrderResult;
import dev.capacity.StrategyKind;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The options of the {@code race} program, parsed and checked: every mistake is a
 * {@link UsageException} whose message says what was wrong and what is accepted.
 */
record RaceOptions(List<StrategyKind> strategies, Target target, String jdbcUrl, String user, String password,
                   int threads, int capacity, int resources, double skew, int minQuantity, int maxQuantity,
                   double demand, int durationSeconds, double keyShare, double holdShare, int orderLines,
                   long holderLimit, long seed, Path report, boolean json, boolean help) {

    /** Where the race runs. */
    enum Target { H2, POSTGRES, MARIADB, JDBC_URL }

    /** A mistake on the command line. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static final String HELP = String.join("\n",
            "race: every reservation strategy against the same crowd of buyers, side by side.",
            "",
            "Each strategy gets the same plan: THREADS buyers start together and ask for the units of",
            "RESOURCES resources of CAPACITY units each. Every call is recorded and, when the race ends, the",
            "history is checked against what the database holds: nothing oversold, nothing undersold, ledgers",
            "that add up, one reservation per idempotency key. The exit code is 1 if anything broke.",
            "",
            "Where:",
            "  (default)                 an embedded H2 database in memory",
            "  --postgres                an embedded PostgreSQL 17 server, started for the race (fsync on)",
            "  --mariadb                 an embedded MariaDB 11.4 server, started for the race (durable:",
            "                            innodb_flush_log_at_trx_commit=1)",
            "  --jdbc-url URL            your own H2, PostgreSQL, MariaDB or MySQL database (jdbc:h2:,",
            "                            jdbc:postgresql:, jdbc:mariadb:, jdbc:mysql:); the capacity_ tables are created",
            "  --user NAME               user for --jdbc-url",
            "  --password SECRET         password for --jdbc-url",
            "",
            "What:",
            "  --strategies LIST         comma-separated, or 'all' (default): "
                    + String.join(", ", Arrays.stream(StrategyKind.values()).map(StrategyKind::strategyName).toList()),
            "  --threads N               buyers racing at once (default 16)",
            "  --capacity N              units per resource (default 1000)",
            "  --resources N             resources sold at once (default 1)",
            "  --skew S                  how much buyers prefer the first resources: 0 is even, 1 is Zipf-like",
            "                            (default 1; matters with --resources above 1)",
            "  --quantity A-B            units per request, from A to B (default 1-1)",
            "  --demand X                units asked for, as a multiple of all capacity (default 2): a sell-out",
            "  --duration SECONDS        instead of --demand: buy and release for this long (steady churn)",
            "  --keys P                  share of requests sent with an idempotency key, 0 to 1 (default 0.25);",
            "                            a third of those are sent twice at once, like a double click",
            "  --holds P                 share of buyers who hold first, 0 to 1 (default 0): a hold of 10 minutes",
            "                            by the race's own clock, which the buyers move a minute now and then;",
            "                            two in three confirm a few steps later (too late, if the clock passed",
            "                            the expiry), one in three abandon the cart and the hold expires. The",
            "                            table adds holds, confirmed, expired, and units reclaimed from expired",
            "                            holds and sold again",
            "  --order-lines N           each buyer places an order of N lines, one on each of N different",
            "                            resources, in random order, all granted or none (default 1: single",
            "                            requests); --resources defaults to N. The table adds orders granted",
            "                            and half orders (an order granted or refused in part: must be 0)",
            "  --holder-limit K          at most K units per holder on every resource, and buyers who come",
            "                            back under the same holder id (about K units asked per holder and",
            "                            resource) so that the limit refuses some. The table adds holder-limit",
            "                            refusals and over-limit (units past a holder's limit: must be 0)",
            "  --seed N                  seed of the plan (default: random, printed)",
            "",
            "Output:",
            "  --report FILE.html        also write a self-contained HTML page with charts",
            "  --json                    print the results as JSON instead of a table",
            "  --help                    this text",
            "",
            "Progress goes to standard error; the table (or JSON) to standard output.");

    private static final List<String> FLAGS = List.of("postgres", "mariadb", "json", "help");
    private static final List<String> VALUED = List.of("jdbc-url", "user", "password", "strategies", "threads",
            "capacity", "resources", "skew", "quantity", "demand", "duration", "keys", "holds", "order-lines",
            "holder-limit", "seed", "report");

    static RaceOptions parse(String[] args) throws UsageException {
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "'; options start with --");
            }
            String name = arg.substring(2);
            String value = null;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            }
            if (FLAGS.contains(name)) {
                if (value != null) {
                    throw new UsageException("--" + name + " takes no value");
                }
                given.put(name, "true");
            } else if (VALUED.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    value = args[++i];
                }
                given.put(name, value);
            } else {
                throw new UsageException("unknown option '--" + name + "'" + suggestion(name));
            }
        }
        if (given.containsKey("help")) {
            return defaults(true);
        }
        Target target = Target.H2;
        if (Stream.of("postgres", "mariadb", "jdbc-url").filter(given::containsKey).count() > 1) {
            throw new UsageException("choose one of --postgres, --mariadb or --jdbc-url");
        }
        if (given.containsKey("postgres")) {
            target = Target.POSTGRES;
        } else if (given.containsKey("mariadb")) {
            target = Target.MARIADB;
        } else if (given.containsKey("jdbc-url")) {
            target = Target.JDBC_URL;
            String url = given.get("jdbc-url");
            if (Stream.of("jdbc:h2:", "jdbc:postgresql:", "jdbc:mariadb:", "jdbc:mysql:").noneMatch(url::startsWith)) {
                throw new UsageException("--jdbc-url must be an H2 (jdbc:h2:...), PostgreSQL (jdbc:postgresql:...), MariaDB"
                        + " (jdbc:mariadb:...) or MySQL (jdbc:mysql:...) URL, was '" + url + "'");
            }
        }
        if ((given.containsKey("user") || given.containsKey("password")) && target != Target.JDBC_URL) {
            throw new UsageException("--user and --password go with --jdbc-url");
        }
        if (given.containsKey("demand") && given.containsKey("duration")) {
            throw new UsageException("choose --demand (a sell-out) or --duration (steady churn), not both");
        }
        int[] quantity = quantity(given.getOrDefault("quantity", "1-1"));
        long seed = given.containsKey("seed") ? wholeNumber("seed", given.get("seed")) : new Random().nextLong();
        int orderLines = positive("order-lines", given.getOrDefault("order-lines", "1"), OrderResult.MAX_LINES);
        int resources = positive("resources", given.getOrDefault("resources", String.valueOf(orderLines)), 10_000);
        if (resources < orderLines) {
            throw new UsageException("--order-lines " + orderLines + " needs as many resources, one per line: --resources"
                    + " was " + resources);
        }
        return new RaceOptions(strategies(given.getOrDefault("strategies", "all")), target, given.get("jdbc-url"),
                given.get("user"), given.get("password"),
                positive("threads", given.getOrDefault("threads", "16"), 1000),
                positive("capacity", given.getOrDefault("capacity", "1000"), 100_000_000),
                resources,
                decimal("skew", given.getOrDefault("skew", "1"), 0, 10),
                quantity[0], quantity[1],
                decimal("demand", given.getOrDefault("demand", "2"), 0.01, 1000),
                given.containsKey("duration") ? positive("duration", given.get("duration"), 3600) : 0,
                decimal("keys", given.getOrDefault("keys", "0.25"), 0, 1),
                decimal("holds", given.getOrDefault("holds", "0"), 0, 1),
                orderLines,
                given.containsKey("holder-limit") ? positive("holder-limit", given.get("holder-limit"), 1_000_000) : 0,
                seed,
                given.containsKey("report") ? report(given.get("report")) : null,
                given.containsKey("json"), false);
    }

    private static RaceOptions defaults(boolean help) {
        return new RaceOptions(List.of(StrategyKind.values()), Target.H2, null, null, null, 16, 1000, 1, 1, 1, 1, 2, 0,
                0.25, 0, 1, 0, 0, null, false, help);
    }

    /** The command that runs this race again, with its seed. */
    String commandLine() {
        List<String> args = new ArrayList<>();
        if (strategies.size() != StrategyKind.values().length) {
            args.add("--strategies " + String.join(",", strategies.stream().map(StrategyKind::strategyName).toList()));
        }
        if (target == Target.POSTGRES) {
            args.add("--postgres");
        } else if (target == Target.MARIADB) {
            args.add("--mariadb");
        } else if (target == Target.JDBC_URL) {
            args.add("--jdbc-url " + jdbcUrl + (user == null ? "" : " --user " + user) + (password == null ? "" : " --password ..."));
        }
        args.add("--threads " + threads);
        args.add("--capacity " + capacity);
        args.add("--resources " + resources);
        args.add(String.format(Locale.ROOT, "--skew %s", skew));
        args.add("--quantity " + minQuantity + "-" + maxQuantity);
        args.add(durationSeconds > 0 ? "--duration " + durationSeconds : String.format(Locale.ROOT, "--demand %s", demand));
        args.add(String.format(Locale.ROOT, "--keys %s", keyShare));
        if (holds()) {
            args.add(String.format(Locale.ROOT, "--holds %s", holdShare));
        }
        if (orders()) {
            args.add("--order-lines " + orderLines);
        }
        if (limited()) {
            args.add("--holder-limit " + holderLimit);
        }
        args.add("--seed " + seed);
        return "mvn -q -pl examples -am compile exec:java -Dexec.args=\"" + String.join(" ", args) + "\"";
    }

    /** What the workload is, in one line. */
    String describe() {
        String units = minQuantity == maxQuantity ? minQuantity + " unit" + (minQuantity == 1 ? "" : "s")
                : minQuantity + "-" + maxQuantity + " units";
        String demanded = durationSeconds > 0 ? "buy-and-release churn for " + durationSeconds + " s"
                : String.format(Locale.ROOT, "demand %.1fx capacity", demand);
        return String.format(Locale.ROOT, "%d threads, %d resource%s x %d units%s, %s per %s, %s, %.0f%% with keys%s%s%s",
                threads, resources, resources == 1 ? "" : "s", capacity,
                resources > 1 ? String.format(Locale.ROOT, " (skew %.1f)", skew) : "", units,
                orders() ? "line" : "request", demanded, keyShare * 100,
                holds() ? String.format(Locale.ROOT, ", %.0f%% hold first", holdShare * 100) : "",
                orders() ? ", orders of " + orderLines + " lines" : "",
                limited() ? ", at most " + holderLimit + " unit" + (holderLimit == 1 ? "" : "s") + " per holder" : "");
    }

    /** Whether some buyers hold first: then the strategies judge holds by the race's clock. */
    boolean holds() {
        return holdShare > 0;
    }

    /** Whether each buyer places an order of several lines. */
    boolean orders() {
        return orderLines > 1;
    }

    /** Whether the resources have a per-holder limit. */
    boolean limited() {
        return holderLimit > 0;
    }

    private static List<StrategyKind> strategies(String value) throws UsageException {
        if (value.equals("all")) {
            return List.of(StrategyKind.values());
        }
        List<StrategyKind> kinds = new ArrayList<>();
        for (String part : value.split(",")) {
            try {
                StrategyKind kind = StrategyKind.fromName(part);
                if (!kinds.contains(kind)) {
                    kinds.add(kind);
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException("--strategies: " + e.getMessage());
            }
        }
        return kinds;
    }

    private static int positive(String name, String value, int max) throws UsageException {
        long parsed = wholeNumber(name, value);
        if (parsed < 1 || parsed > max) {
            throw new UsageException("--" + name + " must be from 1 to " + max + ", was " + value);
        }
        return (int) parsed;
    }

    private static long wholeNumber(String name, String value) throws UsageException {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number, was '" + value + "'");
        }
    }

    private static double decimal(String name, String value, double min, double max) throws UsageException {
        double parsed;
        try {
            parsed = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number, was '" + value + "'");
        }
        if (!(parsed >= min && parsed <= max)) {
            throw new UsageException("--" + name + " must be from " + min + " to " + max + ", was " + value);
        }
        return parsed;
    }

    private static int[] quantity(String value) throws UsageException {
        String[] parts = value.split("-", -1);
        if (parts.length > 2) {
            throw new UsageException("--quantity must be N or A-B, such as 1-5, was '" + value + "'");
        }
        int low = positive("quantity", parts[0], 1_000_000);
        int high = parts.length == 2 ? positive("quantity", parts[1], 1_000_000) : low;
        if (low > high) {
            throw new UsageException("--quantity " + value + ": the first number must not exceed the second");
        }
        return new int[] {low, high};
    }

    private static Path report(String value) throws UsageException {
        if (!value.toLowerCase(Locale.ROOT).endsWith(".html")) {
            throw new UsageException("--report must name an .html file, was '" + value + "'");
        }
        return Path.of(value);
    }

    /** "; did you mean --threads?" for a near miss, or nothing. */
    private static String suggestion(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : concat(FLAGS, VALUED)) {
            int distance = distance(name, known);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = known;
            }
        }
        return bestDistance <= 3 ? "; did you mean --" + best + "? (see --help)" : "; see --help";
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
