package dev.capacity.stress.jcstress;

import org.openjdk.jcstress.JCStress;
import org.openjdk.jcstress.Options;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.infra.Status;
import org.openjdk.jcstress.infra.TestInfo;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;
import org.openjdk.jcstress.infra.grading.GradingResult;
import org.openjdk.jcstress.infra.grading.TestGrading;
import org.openjdk.jcstress.infra.runners.TestList;

import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedMariaDbServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Runs jcstress with the given arguments (the same as {@code java -jar jcstress.jar}) and turns its
 * verdict into an exit code, which jcstress itself does not do: 1 if any test observed a FORBIDDEN
 * outcome, ended in an error, or did not run, and also if a {@code NegativeControl_*} test did
 * <em>not</em> observe its forbidden outcome, since then the tests could not see the bug they
 * guard against. A control's bug is a FORBIDDEN outcome it names with an {@code @Outcome} id: the
 * catch-all outcome without an id (an exception, an answer nobody foresaw) does not count, so a
 * control that merely throws cannot pass for one that sees its bug.
 *
 * <p>jcstress runs every actor on a CPU of its own; a test with more actors than the machine has
 * CPUs cannot be scheduled (the 3- and 4-caller tests on a 2-core machine). The gate lists such a
 * test as not run, naming the CPUs it needs, rather than failing the build for the machine's size.
 *
 * <p>The JDBC tests run on H2 in memory; the last-unit ones ({@code Jdbc_01}, {@code _03}, ...,
 * {@code _09}), {@code Jdbc_11} and {@code NegativeControl_02_JdbcCheckThenAct} run a second time on an embedded
 * MariaDB server that the gate starts for them (its URL passed to every fork, see
 * {@link JdbcOnce}), judged the same way.
 */
public final class JcstressGate {

    private static final String NEGATIVE_CONTROL = "NegativeControl_";

    private JcstressGate() {}

    public static void main(String[] args) throws Exception {
        Options options = new Options(args);
        if (!options.parse()) {
            System.exit(2);
        }
        List<String> problems = new ArrayList<>();
        int notRun = run(options, "", problems);
        SortedSet<String> jdbc = new JCStress(options).getTests();
        jdbc.removeIf(test -> !JDBC.matcher(simpleName(test)).lookingAt());
        int ran = notRun < 0 ? 0 : 1;
        if (!jdbc.isEmpty() && notRun >= 0) {
            try (EmbeddedMariaDbServer mariadb = EmbeddedMariaDbServer.start(Durability.FAST)) {
                String filter = String.join("|", jdbc.stream().map(Pattern::quote).toList());
                Options onMariaDb = new Options(withJdbcUrl(args, filter, mariadb.database().jdbcUrl(),
                        options.getResultDest()));
                onMariaDb.parse();
                int more = run(onMariaDb, " on MariaDB", problems);
                notRun = more < 0 ? -1 : notRun + more;
                ran++;
            }
        }
        if (notRun < 0) {
            System.exit(1);
        }
        if (!problems.isEmpty()) {
            System.out.println();
            problems.forEach(p -> System.out.println("FAILED: " + p));
            System.exit(1);
        }
        System.out.println("jcstress gate: every test that ran passed (" + ran + " run" + (ran == 1 ? "" : "s")
                + "), every negative control saw its bug" + (notRun == 0 ? "." : "; " + notRun
                + " need more CPUs than this machine has."));
    }

    /**
     * The JDBC tests run again on MariaDB, by their simple names: each strategy's last unit (the
     * odd numbers), unique-slots' sold-out mark racing a release, and the check-then-act control. The double submits on MariaDB are left to the
     * race harness and the adapter's suite, to keep the build short (each test costs about 20 s
     * there, its forks talking to a server).
     */
    private static final Pattern JDBC = Pattern.compile("Jdbc_(0[13579]|11)_|NegativeControl_02_Jdbc");

    /**
     * {@code args} for the tests {@code filter} selects, on the database at {@code jdbcUrl}, with
     * results of their own below {@code resultDest}.
     */
    private static String[] withJdbcUrl(String[] args, String filter, String jdbcUrl, String resultDest) {
        // the URL joins the JVM arguments given (-jvmArgsPrepend would double the VM configurations)
        String property = "-D" + JdbcOnce.JDBC_URL + "=" + jdbcUrl;
        List<String> changed = new ArrayList<>();
        boolean jvmArgs = false;
        for (int i = 0; i < args.length; i++) {
            if ((args[i].equals("-t") || args[i].equals("-r")) && i + 1 < args.length) {
                i++; // replaced below
            } else if (args[i].equals("-jvmArgs") && i + 1 < args.length) {
                changed.add(args[i]);
                changed.add(args[++i] + " " + property);
                jvmArgs = true;
            } else {
                changed.add(args[i]);
            }
        }
        if (!jvmArgs) {
            changed.addAll(List.of("-jvmArgs", property));
        }
        changed.addAll(List.of("-t", filter, "-r", Path.of(resultDest, "mariadb").toString()));
        return changed.toArray(String[]::new);
    }

    /**
     * Runs the tests {@code options} select and judges each, adding what failed to
     * {@code problems}; returns how many could not run for want of CPUs, or -1 if none matched.
     */
    private static int run(Options options, String where, List<String> problems) throws Exception {
        JCStress jcstress = new JCStress(options);
        SortedSet<String> tests = jcstress.getTests();
        if (tests.isEmpty()) {
            System.err.println("jcstress gate: no test matches '" + options.getTestFilter() + "'");
            return -1;
        }
        try {
            jcstress.run();
        } catch (AssertionError failures) {
            // jcstress throws when a test failed; that includes the negative controls, which must
            // fail, so the verdict below is made from the results file instead
            System.out.println("jcstress reported failing tests; the gate reads the results to decide.");
        }

        Map<String, List<TestResult>> results = new TreeMap<>();
        if (Files.exists(Path.of(options.getResultFile()))) {
            DiskReadCollector reader = new DiskReadCollector(options.getResultFile(),
                    result -> results.computeIfAbsent(result.getName(), k -> new ArrayList<>()).add(result));
            reader.dump();
            reader.close();
        }
        int cpus = options.getCPUCount();

        int notRun = 0;
        List<String> found = new ArrayList<>();
        System.out.println();
        System.out.println("jcstress gate" + where + " (" + options.getResultFile() + "):");
        for (String test : tests) {
            List<TestResult> runs = results.getOrDefault(test, List.of());
            int actors = actors(test);
            String verdict;
            if (runs.isEmpty() && actors > cpus) {
                verdict = "NOT RUN: " + actors + " actors need " + actors + " CPUs, this machine has " + cpus;
                notRun++;
            } else {
                verdict = verdict(test, runs, found);
            }
            long samples = runs.stream().mapToLong(TestResult::getTotalCount).sum();
            System.out.printf("  %-70s %,14d samples  %s%n", simpleName(test), samples, verdict);
        }
        found.forEach(p -> problems.add(p + where));
        return notRun;
    }

    private static String verdict(String test, List<TestResult> runs, List<String> problems) {
        if (runs.isEmpty()) {
            problems.add(test + " did not run");
            return "DID NOT RUN";
        }
        TestInfo info = TestList.getInfo(test);
        long forbidden = 0;
        long named = 0;
        for (TestResult run : runs) {
            if (run.status() != Status.NORMAL) {
                problems.add(test + " ended with " + run.status() + ": " + run.getMessages());
                return "ERROR " + run.status();
            }
            TestGrading grading = run.grading();
            for (GradingResult outcome : grading.gradingResults.values()) {
                if (outcome.expect == Expect.FORBIDDEN) {
                    forbidden += outcome.count;
                    if (isNamed(info, outcome.id)) {
                        named += outcome.count;
                    }
                }
            }
        }
        if (simpleName(test).startsWith(NEGATIVE_CONTROL)) {
            if (named == 0) {
                problems.add(test + " is a negative control and must observe a forbidden outcome it names, but did not"
                        + (forbidden > 0 ? " (only " + forbidden + " of the catch-all)" : ""));
                return "NEGATIVE CONTROL MISSED ITS BUG";
            }
            return "negative control: saw the bug " + named + " times (as it must)";
        }
        if (forbidden > 0) {
            for (TestResult run : runs) {
                problems.addAll(run.grading().failureMessages.stream().map(m -> test + ": " + m).toList());
            }
            return "FORBIDDEN OUTCOME SEEN " + forbidden + " times";
        }
        return "OK";
    }

    /** Whether {@code outcome} was graded by an {@code @Outcome} with an id, not by the catch-all one. */
    private static boolean isNamed(TestInfo info, String outcome) {
        return info.cases().stream().anyMatch(c -> c.matchesExactly(outcome) || c.matches(outcome));
    }

    /** jcstress runs each actor on a CPU of its own, so a test with more actors than CPUs cannot run. */
    private static int actors(String test) {
        try {
            return (int) Arrays.stream(Class.forName(test).getMethods())
                    .filter(m -> m.isAnnotationPresent(Actor.class)).count();
        } catch (ClassNotFoundException e) {
            return 0;
        }
    }

    private static String simpleName(String test) {
        return test.substring(test.lastIndexOf('.') + 1);
    }
}
