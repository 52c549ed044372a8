package dev.capacity.stress;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The results of races side by side, one line per race: as text, or as a self-contained HTML page
 * with a bar chart of throughput and of p99 latency. In a test class of {@link AllStrategies}
 * races, register one and add each race's result to it; it reports when the class's tests are done:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RaceTable TABLE = RaceTable.reportingTo(System.out::println)
 *         .htmlTo(Path.of("target/enrollment-race.html"));
 *
 * @ParameterizedTest(name = "{0}")
 * @AllStrategies(databases = {"h2", "postgres"})
 * void enroll_race(ReservationStrategy strategy, Jdbi jdbi) {
 *     ...
 *     TABLE.add(Race.against(strategy).resource("java-101").threads(32).run(...)).assertCorrect();
 * }
 * }</pre>
 *
 * <p>Or without JUnit: {@code RaceTable.of(results).text()}. This class is threadsafe.
 */
public final class RaceTable implements AfterAllCallback {

    /** A column with a winner: its title, how to read it, whether more is better, its format. */
    private record Measure(String title, ToDoubleFunction<RaceResult> value, boolean higherWins, String format) {}

    private static final List<Measure> MEASURES = List.of(
            new Measure("calls/s", RaceResult::throughput, true, "%,.0f"),
            new Measure("p50 ms", r -> millis(r.p50().toNanos()), false, "%.2f"),
            new Measure("p90 ms", r -> millis(r.p90().toNanos()), false, "%.2f"),
            new Measure("p99 ms", r -> millis(r.p99().toNanos()), false, "%.2f"),
            new Measure("max ms", r -> millis(r.max().toNanos()), false, "%.1f"));

    private final List<RaceResult> results = new ArrayList<>();
    private final Consumer<String> text;
    private volatile Path html;

    private RaceTable(List<RaceResult> results, Consumer<String> text) {
        this.results.addAll(results);
        this.text = text;
    }

    /** A table of {@code results}, in their order. */
    public static RaceTable of(List<RaceResult> results) {
        results.forEach(r -> Objects.requireNonNull(r, "results holds null"));
        return new RaceTable(results, null);
    }

    /**
     * An empty table that, registered as a JUnit extension, hands its {@link #text()} to
     * {@code sink} when the tests of its class are done (if any result was added). Register it in
     * the class whose tests race: {@code @Nested} classes inherit it, and would report it again.
     */
    public static RaceTable reportingTo(Consumer<String> sink) {
        return new RaceTable(List.of(), Objects.requireNonNull(sink, "sink"));
    }

    /** Also writes its {@link #html()} to {@code file} when the tests of its class are done; returns this table. */
    public RaceTable htmlTo(Path file) {
        this.html = Objects.requireNonNull(file, "file");
        return this;
    }

    /** Adds a result; returns it, so that a test can go on with it. */
    public RaceResult add(RaceResult result) {
        Objects.requireNonNull(result, "result");
        synchronized (results) {
            results.add(result);
        }
        return result;
    }

    /** The results so far, in the order they were added. */
    public List<RaceResult> results() {
        synchronized (results) {
            return List.copyOf(results);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (results().isEmpty()) {
            return;
        }
        if (text != null) {
            text.accept(text());
        }
        Path file = html;
        if (file != null) {
            writeHtml(file, context.getTestClass().map(Class::getSimpleName).orElse(context.getDisplayName()));
        }
    }

    /** Writes {@link #html()} to {@code file}, creating its directory if needed. */
    public void writeHtml(Path file) {
        writeHtml(file, "races");
    }

    private void writeHtml(Path file, String title) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, html(title), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the race table to " + file, e);
        }
    }

    /**
     * One line per race: counts, throughput and latencies, and the verdict; the best database
     * strategy in each measure is marked {@code *} (the in-memory strategy is a reference, not a
     * contender). The problems of a race that went wrong follow the table.
     */
    public String text() {
        List<RaceResult> rows = results();
        int width = Math.max(8, rows.stream().mapToInt(r -> r.name().length()).max().orElse(0));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-" + width + "s %7s %8s %8s %8s %9s", "strategy", "threads", "calls",
                "reserved", "refused", "contended"));
        MEASURES.forEach(m -> out.append(String.format(Locale.ROOT, " %10s", m.title())));
        out.append(String.format(Locale.ROOT, " %8s  %s%n", "oversold", "verdict"));
        double[] best = MEASURES.stream().mapToDouble(m -> best(rows, m)).toArray();
        for (RaceResult r : rows) {
            out.append(String.format(Locale.ROOT, "%-" + width + "s %7d %8d %8d %8d %9d", r.name(), r.threads(), r.calls(),
                    r.reservedUnits(), r.refused(), r.contended()));
            for (int i = 0; i < MEASURES.size(); i++) {
                out.append(String.format(Locale.ROOT, " %10s", (wins(r, MEASURES.get(i), best[i]) ? "*" : "")
                        + cell(r, MEASURES.get(i))));
            }
            out.append(String.format(Locale.ROOT, " %8d  %s%n", r.oversold(), verdict(r)));
        }
        if (rows.stream().filter(r -> !reference(r) && r.ok()).count() > 1) {
            out.append("* best database strategy in its column\n");
        }
        for (RaceResult r : rows) {
            if (!r.ok()) {
                out.append(String.format(Locale.ROOT, "%n%s went wrong (seed %d):%n", r.name(), r.seed()));
                r.problems().forEach(p -> out.append("  ").append(p).append('\n'));
            }
        }
        return out.toString();
    }

    /** A self-contained HTML page: the table, then bar charts of throughput and p99 latency. */
    public String html() {
        return html("races");
    }

    private String html(String title) {
        List<RaceResult> rows = results();
        StringBuilder out = new StringBuilder();
        out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:1.5em;max-width:60em}"
                        + "table{border-collapse:collapse}th,td{padding:.25em .6em;text-align:right;border-bottom:1px solid #ddd}"
                        + "th:first-child,td:first-child{text-align:left}.best{font-weight:bold}.bad{color:#b00020}"
                        + "svg text{font:12px sans-serif}</style></head><body>\n<h1>")
                .append(escape(title)).append("</h1>\n<table><tr><th>strategy</th><th>threads</th><th>calls</th>"
                        + "<th>reserved</th><th>refused</th><th>contended</th>");
        MEASURES.forEach(m -> out.append("<th>").append(escape(m.title())).append("</th>"));
        out.append("<th>oversold</th><th>verdict</th></tr>\n");
        double[] best = MEASURES.stream().mapToDouble(m -> best(rows, m)).toArray();
        for (RaceResult r : rows) {
            out.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>",
                    escape(r.name()), r.threads(), r.calls(), r.reservedUnits(), r.refused(), r.contended()));
            for (int i = 0; i < MEASURES.size(); i++) {
                out.append(wins(r, MEASURES.get(i), best[i]) ? "<td class=\"best\">" : "<td>")
                        .append(escape(cell(r, MEASURES.get(i)))).append("</td>");
            }
            out.append(String.format(Locale.ROOT, "<td>%d</td><td%s>%s</td></tr>%n", r.oversold(),
                    r.ok() ? "" : " class=\"bad\"", escape(verdict(r))));
        }
        out.append("</table>\n<p>Bold: the best database strategy in its column (the in-memory strategy is a reference)."
                + " Latencies are per call, each try of a call answered CONTENDED counted.</p>\n");
        out.append(bars(rows, "calls per second", RaceResult::throughput, "%,.0f"));
        out.append(bars(rows, "p99 latency, ms", r -> millis(r.p99().toNanos()), "%.2f"));
        for (RaceResult r : rows) {
            if (!r.ok()) {
                out.append("<h2 class=\"bad\">").append(escape(r.name())).append(" went wrong (seed ").append(r.seed())
                        .append(")</h2>\n<ul>");
                r.problems().forEach(p -> out.append("<li>").append(escape(p)).append("</li>"));
                out.append("</ul>\n");
            }
        }
        return out.append("</body></html>\n").toString();
    }

    /** A horizontal bar chart of one measure, one bar per race, as inline SVG. */
    private static String bars(List<RaceResult> rows, String title, ToDoubleFunction<RaceResult> value, String format) {
        double max = rows.stream().mapToDouble(value).max().orElse(0);
        int label = 220;
        int width = 360;
        int bar = 22;
        StringBuilder svg = new StringBuilder();
        svg.append("<h2>").append(escape(title)).append("</h2>\n")
                .append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">%n",
                        label + width + 90, rows.size() * bar + 4, escape(title)));
        for (int i = 0; i < rows.size(); i++) {
            RaceResult r = rows.get(i);
            double v = value.applyAsDouble(r);
            long length = max <= 0 ? 0 : Math.round(width * v / max);
            int y = i * bar;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
                            + "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                    label - 6, y + 15, escape(r.name()), label, y + 3, length, bar - 6,
                    reference(r) ? "#9e9e9e" : "#3f6fb5", label + length + 6, y + 15,
                    escape(String.format(Locale.ROOT, format, v))));
        }
        return svg.append("</svg>\n").toString();
    }

    private static boolean reference(RaceResult r) {
        return r.name().startsWith("memory/") || r.strategy().equals("in-memory");
    }

    /** The best value of {@code measure} among the correct races of database strategies; NaN when fewer than two. */
    private static double best(List<RaceResult> rows, Measure measure) {
        List<RaceResult> contenders = rows.stream().filter(r -> !reference(r) && r.ok()).toList();
        if (contenders.size() < 2) {
            return Double.NaN;
        }
        return contenders.stream().mapToDouble(measure.value()).reduce(measure.higherWins() ? Math::max : Math::min)
                .orElse(Double.NaN);
    }

    private static boolean wins(RaceResult r, Measure measure, double best) {
        return !reference(r) && r.ok() && !Double.isNaN(best)
                && cell(r, measure).equals(String.format(Locale.ROOT, measure.format(), best));
    }

    private static String cell(RaceResult r, Measure measure) {
        return String.format(Locale.ROOT, measure.format(), measure.value().applyAsDouble(r));
    }

    private static String verdict(RaceResult r) {
        if (!r.ok()) {
            return "WENT WRONG: " + r.problems().size() + " problem(s)";
        }
        return r.rowsChecked() ? "ok" : "ok (counters only)";
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
