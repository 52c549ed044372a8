package dev.capacity.examples.race;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class RaceTest {

    /** What a run printed and returned. */
    record Run(int exit, String out, String err) {}

    private static Run race(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Race.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void race_onH2_printsEveryStrategyAndChecksEveryHistory(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("race.html");

        Run run = race("--threads", "8", "--capacity", "150", "--quantity", "1-3", "--resources", "3", "--seed", "7",
                "--report", report.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("optimistic-version", "pessimistic-lock", "conditional-update", "unique-slots",
                "in-memory (ref.)", "reserves/s", "Every history checked out");
        assertThat(run.out()).contains("*");
        // without --holds, the table has no hold columns
        assertThat(run.out()).doesNotContain("confirmed", "reclaimed");
        assertThat(run.err()).contains("seed 7", "done");
        String html = Files.readString(report);
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg", "Throughput", "p99 latency", "--seed 7")
                .doesNotContain("<script", "<link", "src=\"http", "href=\"http", "@import", "url(");
    }

    @Test
    void race_json_isForMachines() {
        Run run = race("--strategies", "conditional-update,in-memory", "--threads", "4", "--capacity", "50", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().strip()).startsWith("{").endsWith("}")
                .contains("\"ok\": true", "\"strategy\": \"conditional-update\"", "\"reservesPerSecond\"", "\"p99\"");
    }

    @Test
    void race_showsEachRacesMeters_latencyDistributionAndTimeline(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("race.html");

        Run json = race("--strategies", "combining,in-memory", "--holds", "0.5", "--threads", "8", "--capacity", "200",
                "--seed", "11", "--json");
        Run html = race("--strategies", "combining,in-memory", "--holds", "0.5", "--threads", "8", "--capacity", "200",
                "--seed", "11", "--report", report.toString());

        assertThat(json.exit()).as(json.err()).isZero();
        assertThat(html.exit()).as(html.err()).isZero();
        // combining ran its requests in batches, and holds were confirmed and expired, as its listener counted them
        Matcher meters = Pattern.compile("\"strategy\": \"combining\".*?\"meters\": \\{\"retries\": \\d+, \"releases\": \\d+,"
                + " \"holds\": \\{\"confirmed\": (\\d+), \"released\": \\d+, \"expired\": (\\d+)\\}, \"batches\": (\\d+)")
                .matcher(json.out());
        assertThat(meters.find()).as(json.out()).isTrue();
        assertThat(Long.parseLong(meters.group(1))).as("holds confirmed").isPositive();
        assertThat(Long.parseLong(meters.group(2))).as("holds expired").isPositive();
        assertThat(Long.parseLong(meters.group(3))).as("batches").isPositive();
        assertThat(json.out()).contains("\"latencyMsAtQuantile\": {\"0.0\": ", "\"1.0\": ", "\"requestsPerSecondOverTime\": [");
        assertThat(Files.readString(report)).contains("Latency distribution", "Throughput during the race", "<polyline",
                "<h2>Meters</h2>", "<th>mean batch</th>");
    }

    @Test
    void race_withHolds_showsHoldsConfirmedExpiredAndReclaimed(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("race.html");

        Run run = race("--holds", "0.5", "--strategies", "pessimistic-lock,in-memory", "--threads", "4", "--capacity",
                "100", "--seed", "3", "--report", report.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("holds", "confirmed", "expired", "reclaimed",
                "every hold ended once, no confirm after its expiry");
        assertThat(run.err()).contains("50% hold first");
        // each row: holds granted, confirmed, expired and units reclaimed from them, all happened
        for (String strategy : new String[] {"pessimistic-lock", "in-memory (ref.)"}) {
            String[] row = run.out().lines().filter(l -> l.startsWith(strategy)).findFirst().orElseThrow()
                    .substring(22).trim().split("\\s+");
            assertThat(row).as(run.out()).hasSizeGreaterThan(10);
            for (int column = 6; column < 10; column++) {
                assertThat(Long.parseLong(row[column])).as("column %d of %s in%n%s", column, strategy, run.out()).isPositive();
            }
        }
        assertThat(Files.readString(report)).contains("<th>reclaimed</th>", "--holds 0.5", "share holding first");
    }

    @Test
    void race_withHolds_json_countsTheHolds() {
        Run run = race("--holds", "0.3", "--strategies", "in-memory", "--threads", "4", "--capacity", "50", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("\"holds\": {\"granted\": ", "\"reclaimedUnits\": ", "\"endedTwice\": 0}",
                "\"share holding first\"");
    }

    @Test
    void race_withOrders_showsOrdersGrantedWholeAndNoHalfOrders(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("race.html");

        Run run = race("--order-lines", "3", "--strategies", "conditional-update,unique-slots,in-memory", "--threads",
                "4", "--capacity", "60", "--seed", "5", "--report", report.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("3 resources", "orders of 3 lines");
        assertThat(run.out()).contains("orders-ok", "orders-no", "half", "every order whole");
        for (String strategy : new String[] {"conditional-update", "unique-slots", "in-memory (ref.)"}) {
            String[] row = row(run, strategy);
            // orders granted whole and refused whole both happened (demand is twice the capacity); none half
            assertThat(Long.parseLong(row[6])).as(run.out()).isPositive();
            assertThat(Long.parseLong(row[7])).as(run.out()).isPositive();
            assertThat(row[8]).as(run.out()).isEqualTo("0");
        }
        assertThat(Files.readString(report)).contains("<th>half</th>", "--order-lines 3", "lines per order");
    }

    @Test
    void race_withAHolderLimit_refusesSomeAtTheLimitAndNoneOver() {
        Run run = race("--holder-limit", "2", "--quantity", "1-2", "--strategies", "pessimistic-lock,in-memory",
                "--threads", "4", "--capacity", "60", "--seed", "11");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("at most 2 units per holder");
        assertThat(run.out()).contains("limited", "over-limit", "no holder past the limit nor refused under it");
        for (String strategy : new String[] {"pessimistic-lock", "in-memory (ref.)"}) {
            String[] row = row(run, strategy);
            assertThat(Long.parseLong(row[6])).as(run.out()).isPositive();
            assertThat(row[7]).as(run.out()).isEqualTo("0");
        }
    }

    @Test
    void race_withOrdersAndALimit_json_countsBoth() {
        Run run = race("--order-lines", "2", "--holder-limit", "3", "--holds", "0.3", "--strategies", "in-memory",
                "--threads", "4", "--capacity", "40", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("\"orders\": {\"lines\": 2", "\"halfOrders\": 0}",
                "\"holderLimit\": {\"limit\": 3", "\"overLimit\": 0", "\"ok\": true");
    }

    /** The cells of a strategy's row of the table, after its name. */
    private static String[] row(Run run, String strategy) {
        return run.out().lines().filter(l -> l.startsWith(strategy)).findFirst().orElseThrow()
                .substring(22).trim().split("\\s+");
    }

    @Test
    void race_forAFixedTime_churns() {
        Run run = race("--strategies", "pessimistic-lock", "--threads", "4", "--capacity", "20", "--duration", "1");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("pessimistic-lock", "Every history checked out");
    }

    @Test
    void race_onEmbeddedPostgres_runs() {
        Run run = race("--postgres", "--strategies", "unique-slots,optimistic-version", "--threads", "4", "--capacity",
                "40");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("PostgreSQL");
        assertThat(run.out()).contains("unique-slots", "optimistic-version");
    }

    @Test
    void race_onEmbeddedMariaDb_runs() {
        Run run = race("--mariadb", "--strategies", "combining,conditional-update", "--threads", "4", "--capacity", "40",
                "--holds", "0.3", "--order-lines", "2");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("embedded MariaDB");
        assertThat(run.out()).contains("combining", "conditional-update", "Every history checked out");
    }

    @Test
    void race_badOptions_areExplainedWithoutAStackTrace() {
        assertBad(race("--thread", "4"), "unknown option '--thread'; did you mean --threads?");
        assertBad(race("--threads", "-2"), "--threads must be from 1 to 1000, was -2");
        assertBad(race("--capacity", "lots"), "--capacity must be a whole number, was 'lots'");
        assertBad(race("--quantity", "5-2"), "the first number must not exceed the second");
        assertBad(race("--strategies", "optimistic"), "no strategy named 'optimistic'");
        assertBad(race("--demand", "2", "--duration", "5"), "choose --demand");
        assertBad(race("--postgres", "--jdbc-url", "jdbc:h2:mem:x"), "choose one of --postgres, --mariadb or --jdbc-url");
        assertBad(race("--postgres", "--mariadb"), "choose one of --postgres, --mariadb or --jdbc-url");
        assertBad(race("--report", "out.txt"), "must name an .html file");
        assertBad(race("--jdbc-url", "mysql://x"), "must be an H2 (jdbc:h2:...), PostgreSQL (jdbc:postgresql:...), MariaDB");
        assertBad(race("--holds", "2"), "--holds must be from 0.0 to 1.0, was 2");
        assertBad(race("--order-lines", "0"), "--order-lines must be from 1 to 100, was 0");
        assertBad(race("--order-lines", "101"), "--order-lines must be from 1 to 100, was 101");
        assertBad(race("--order-lines", "3", "--resources", "2"), "--order-lines 3 needs as many resources");
        assertBad(race("--holder-limit", "0"), "--holder-limit must be from 1");
        assertBad(race("extra"), "unexpected argument 'extra'");
    }

    @Test
    void race_unreachableDatabase_isExplainedWithoutAStackTrace() {
        Run run = race("--jdbc-url", "jdbc:postgresql://127.0.0.1:1/none", "--user", "nobody", "--threads", "2");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("cannot reach the database at jdbc:postgresql://127.0.0.1:1/none")
                .doesNotContain("\tat ");
    }

    @Test
    void race_help_explainsEveryOption() {
        Run run = race("--help");

        assertThat(run.exit()).isZero();
        for (String option : new String[] {"--postgres", "--mariadb", "--jdbc-url", "--user", "--password", "--strategies",
                "--threads", "--capacity", "--resources", "--skew", "--quantity", "--demand", "--duration", "--keys",
                "--holds", "--order-lines", "--holder-limit", "--seed", "--report", "--json", "--help"}) {
            assertThat(run.out()).contains(option);
        }
    }

    private static void assertBad(Run run, String message) {
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains(message).contains("--help").doesNotContain("\tat ");
    }
}
