package dev.capacity.examples.race;

import dev.capacity.stress.internal.HistoryChecker;
import dev.capacity.stress.internal.RaceReport;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The results of a race as a text table (with the best database strategy in each column marked),
 * as JSON, and as a self-contained HTML page with SVG charts.
 */
final class Results {

    /** A column that has a winner: how to read it from a report, and whether more is better. */
    private record Measure(String title, ToDoubleFunction<RaceReport> value, boolean higherWins, String format) {}

    /** A column of counts shown with a flag: the holds with {@code --holds}, orders and limits with theirs. */
    private record HoldColumn(String title, ToLongFunction<RaceReport> value) {}

    private static final List<HoldColumn> ORDER_COLUMNS = List.of(
            new HoldColumn("orders-ok", RaceReport::ordersGranted),
            new HoldColumn("orders-no", RaceReport::ordersRefused),
            new HoldColumn("half", r -> r.verdict().halfOrders()));

    private static final List<HoldColumn> LIMIT_COLUMNS = List.of(
            new HoldColumn("limited", RaceReport::holderLimited),
            new HoldColumn("over-limit", r -> r.verdict().overHolderLimit()));

    private static final List<HoldColumn> HOLD_COLUMNS = List.of(
            new HoldColumn("holds", RaceReport::holds),
            new HoldColumn("confirmed", RaceReport::confirmed),
            new HoldColumn("expired", r -> r.verdict().expiredHolds()),
            new HoldColumn("reclaimed", r -> r.verdict().reclaimedUnits()));

    private static final List<Measure> MEASURES = List.of(
            new Measure("reserves/s", RaceReport::throughput, true, "%,.0f"),
            new Measure("p50 ms", r -> r.p50Micros() / 1000.0, false, "%.2f"),
            new Measure("p99 ms", r -> r.p99Micros() / 1000.0, false, "%.2f"),
            new Measure("max ms", r -> r.maxMicros() / 1000.0, false, "%.1f"),
            new Measure("retries/ok", RaceReport::retriesPerGrant, false, "%.2f"));

    private final RaceOptions options;
    private final String database;
    private final String machine;
    private final ZonedDateTime when;
    private final List<RaceReport> reports;
    /** Each race's meters, in the order of {@link #reports}. */
    private final List<Meters> meters;

    Results(RaceOptions options, String database, String machine, ZonedDateTime when, List<RaceReport> reports,
            List<Meters> meters) {
        this.options = options;
        this.database = database;
        this.machine = machine;
        this.when = when;
        this.reports = reports;
        this.meters = meters;
    }

    boolean ok() {
        return reports.stream().allMatch(RaceReport::ok);
    }

    private static boolean reference(RaceReport r) {
        return r.database().equals("memory");
    }

    /** The best value of a measure among the database strategies, or NaN when there are fewer than two. */
    private double best(Measure measure) {
        List<RaceReport> contenders = reports.stream().filter(r -> !reference(r)).toList();
        if (contenders.size() < 2) {
            return Double.NaN;
        }
        return contenders.stream().mapToDouble(measure.value())
                .reduce(measure.higherWins() ? Math::max : Math::min).orElse(Double.NaN);
    }

    private boolean wins(RaceReport r, Measure measure, double best) {
        return !reference(r) && !Double.isNaN(best) && String.format(Locale.ROOT, measure.format(), measure.value().applyAsDouble(r))
                .equals(String.format(Locale.ROOT, measure.format(), best));
    }

    /** The columns of counts in use: holds with {@code --holds}, orders with {@code --order-lines}, limits with {@code --holder-limit}. */
    private List<HoldColumn> holdColumns() {
        List<HoldColumn> columns = new ArrayList<>();
        if (options.holds()) {
            columns.addAll(HOLD_COLUMNS);
        }
        if (options.orders()) {
            columns.addAll(ORDER_COLUMNS);
        }
        if (options.limited()) {
            columns.addAll(LIMIT_COLUMNS);
        }
        return columns;
    }

    /** Reserve calls and order calls. */
    private static long requests(RaceReport r) {
        return r.reserves() + r.orders();
    }

    String table() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-22s %8s %8s %8s %8s %8s %9s", "strategy", "requests", "attempts",
                "reserved", "replayed", "rejected", "contended"));
        for (HoldColumn c : holdColumns()) {
            out.append(String.format(Locale.ROOT, " %10s", c.title()));
        }
        for (Measure m : MEASURES) {
            out.append(String.format(Locale.ROOT, " %11s", m.title()));
        }
        out.append(String.format(Locale.ROOT, " %8s  %s%n", "oversold", "ledger"));
        double[] best = MEASURES.stream().mapToDouble(this::best).toArray();
        for (RaceReport r : reports) {
            out.append(String.format(Locale.ROOT, "%-22s %8d %8d %8d %8d %8d %9d",
                    r.strategy() + (reference(r) ? " (ref.)" : ""), requests(r), r.attempts(), r.grantedUnits(),
                    r.replayed(), r.refused(), r.contended()));
            for (HoldColumn c : holdColumns()) {
                out.append(String.format(Locale.ROOT, " %10d", c.value().applyAsLong(r)));
            }
            for (int i = 0; i < MEASURES.size(); i++) {
                Measure m = MEASURES.get(i);
                String cell = String.format(Locale.ROOT, m.format(), m.value().applyAsDouble(r));
                out.append(String.format(Locale.ROOT, " %11s", (wins(r, m, best[i]) ? "*" : "") + cell));
            }
            HistoryChecker.Verdict v = r.verdict();
            out.append(String.format(Locale.ROOT, " %8d  %s%n", v.oversold(),
                    v.ledger() == 0 ? "ok" : "BROKEN (" + v.ledger() + ")"));
        }
        out.append('\n');
        if (reports.stream().filter(r -> !reference(r)).count() > 1) {
            out.append("* best database strategy in its column. ");
        }
        out.append("requests: reserve calls; attempts: the tries they took (transactions); reserved: units granted;\n"
                + "replayed: repeated idempotency keys answered with the earlier reservation; rejected: refused as full.\n");
        if (options.holds()) {
            out.append("holds: holds granted; confirmed: confirmed in time; expired: neither confirmed nor released before\n"
                    + "they expired (abandoned carts, late payments); reclaimed: units of expired holds sold again, at least.\n");
        }
        if (options.orders()) {
            out.append("requests are orders of " + options.orderLines() + " lines (an order reports no attempts: one each);"
                    + " orders-ok: granted whole;\norders-no: refused whole (no room, or a holder's limit); half: granted or"
                    + " refused in part (must be 0).\n");
        }
        if (options.limited()) {
            out.append("limited: requests refused for the holder's limit of " + options.holderLimit() + "; over-limit:"
                    + " units past a holder's limit (must be 0).\n");
        }
        out.append(ok()
                ? "Every history checked out: nothing oversold or undersold, every ledger adds up, one reservation per key"
                        + (options.holds() ? ", every hold ended once, no confirm after its expiry" : "")
                        + (options.orders() ? ", every order whole" : "")
                        + (options.limited() ? ", no holder past the limit nor refused under it" : "") + ".\n"
                : "VIOLATIONS FOUND: see below.\n");
        return out.toString();
    }

    /** The meters, the latency distribution and the timeline of one result, as JSON fields (with a trailing space). */
    private String jsonExtras(int i) {
        RaceReport r = reports.get(i);
        Meters m = meters.get(i);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, " \"meters\": {\"retries\": %d, \"releases\": %d,"
                        + " \"holds\": {\"confirmed\": %d, \"released\": %d, \"expired\": %d}, \"batches\": %d,"
                        + " \"meanBatch\": %.2f, \"maxBatch\": %.0f}, \"latencyMsAtQuantile\": {", m.retries(), m.releases(),
                m.holdsConfirmed(), m.holdsReleased(), m.holdsExpired(), m.batches(), m.meanBatch(), m.maxBatch()));
        for (int q = 0; q < RaceReport.QUANTILES.length; q++) {
            out.append(q == 0 ? "" : ", ").append(String.format(Locale.ROOT, "\"%s\": %.3f", RaceReport.QUANTILES[q],
                    r.latencyMicros()[q] / 1000.0));
        }
        out.append("}, \"requestsPerSecondOverTime\": [");
        for (int t = 0; t < r.timeline().length; t++) {
            out.append(t == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", r.timeline()[t]));
        }
        return out.append("],").toString();
    }

    String json() {
        StringBuilder out = new StringBuilder("{\n");
        out.append("  \"when\": ").append(quote(when.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))).append(",\n");
        out.append("  \"database\": ").append(quote(database)).append(",\n");
        out.append("  \"machine\": ").append(quote(machine)).append(",\n");
        out.append("  \"parameters\": {");
        List<String> fields = new ArrayList<>();
        parameters().forEach((k, v) -> fields.add("\n    " + quote(k) + ": " + quote(v)));
        out.append(String.join(",", fields)).append("\n  },\n");
        out.append("  \"ok\": ").append(ok()).append(",\n");
        out.append("  \"results\": [");
        List<String> rows = new ArrayList<>();
        for (RaceReport r : reports) {
            HistoryChecker.Verdict v = r.verdict();
            rows.add(String.format(Locale.ROOT, "\n    {\"strategy\": %s, \"database\": %s, \"requests\": %d, \"attempts\": %d,"
                            + " \"reservedUnits\": %d, \"replayed\": %d, \"rejected\": %d, \"contended\": %d, \"reservesPerSecond\": %.1f,"
                            + " \"latencyMs\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}, \"retriesPerSuccess\": %.3f,"
                            + " \"oversold\": %d, \"undersold\": %d, \"ledgerMismatches\": %d, \"lost\": %d, \"unexpected\": %d,"
                            + " \"duplicateKeys\": %d, \"errors\": %d, \"unknownOutcomes\": %d,%s%s \"ok\": %b}",
                    quote(r.strategy()), quote(r.database()), requests(r), r.attempts(), r.grantedUnits(), r.replayed(), r.refused(),
                    r.contended(), r.throughput(), r.p50Micros() / 1000.0, r.p99Micros() / 1000.0, r.maxMicros() / 1000.0,
                    r.retriesPerGrant(), v.oversold(), v.undersold(), v.ledger(), v.lost(), v.unexpected(),
                    v.duplicateKeys(), v.errors(), v.unknown(), (options.holds() ? String.format(Locale.ROOT,
                            " \"holds\": {\"granted\": %d, \"confirmed\": %d, \"confirmsTooLate\": %d, \"expired\": %d,"
                            + " \"reclaimedUnits\": %d, \"lateConfirms\": %d, \"endedTwice\": %d},", r.holds(), r.confirmed(),
                            r.confirmsExpired(), v.expiredHolds(), v.reclaimedUnits(), v.lateConfirms(), v.endedTwice()) : "")
                            + (options.orders() ? String.format(Locale.ROOT, " \"orders\": {\"lines\": %d, \"placed\": %d,"
                            + " \"granted\": %d, \"refused\": %d, \"halfOrders\": %d},", options.orderLines(), r.orders(),
                            r.ordersGranted(), r.ordersRefused(), v.halfOrders()) : "")
                            + (options.limited() ? String.format(Locale.ROOT, " \"holderLimit\": {\"limit\": %d,"
                            + " \"refusals\": %d, \"overLimit\": %d, \"holderUndersold\": %d},", options.holderLimit(),
                            r.holderLimited(), v.overHolderLimit(), v.holderUndersold()) : ""),
                    jsonExtras(reports.indexOf(r)), r.ok()));
        }
        out.append(String.join(",", rows)).append("\n  ]\n}\n");
        return out.toString();
    }

    private Map<String, String> parameters() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("threads", String.valueOf(options.threads()));
        p.put("resources", String.valueOf(options.resources()));
        p.put("capacity per resource", String.valueOf(options.capacity()));
        p.put("skew", String.valueOf(options.skew()));
        p.put("quantity", options.minQuantity() + "-" + options.maxQuantity());
        p.put(options.durationSeconds() > 0 ? "duration (s)" : "demand (x capacity)",
                options.durationSeconds() > 0 ? String.valueOf(options.durationSeconds()) : String.valueOf(options.demand()));
        p.put("share with keys", String.valueOf(options.keyShare()));
        if (options.holds()) {
            p.put("share holding first", options.holdShare() + " (holds of " + Workload.HOLD.toMinutes()
                    + " minutes; two in three confirm)");
        }
        if (options.orders()) {
            p.put("lines per order", String.valueOf(options.orderLines()));
        }
        if (options.limited()) {
            p.put("limit per holder (units)", String.valueOf(options.holderLimit()));
        }
        p.put("seed", String.valueOf(options.seed()));
        p.put("command", options.commandLine());
        return p;
    }

    String html() {
        StringBuilder out = new StringBuilder();
        out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>capacity race</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:70em;color:#222}\n")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{padding:.3em .7em;border-bottom:1px solid #ddd;")
                .append("text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}\n")
                .append(".best{font-weight:bold;color:#05612b}.bad{color:#b00020;font-weight:bold}.muted{color:#666}\n")
                .append("svg text{font-family:inherit;font-size:13px}\n</style></head><body>\n");
        out.append("<h1>capacity race</h1>\n<p>").append(escape(database)).append(" &middot; ").append(escape(machine))
                .append(" &middot; ").append(escape(when.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))))
                .append("</p>\n<p>").append(escape(options.describe())).append("</p>\n");
        out.append(ok() ? "<p>Every history checked out: nothing oversold or undersold, every ledger adds up, one "
                + "reservation per idempotency key" + (options.orders() ? ", every order whole" : "")
                + (options.limited() ? ", no holder past the limit nor refused under it" : "") + ".</p>\n"
                : "<p class=\"bad\">Violations found: see the table.</p>\n");
        out.append("<h2>Throughput</h2>\n").append(chart(RaceReport::throughput, "reserves/s", "%,.0f"));
        out.append("<h2>p99 latency</h2>\n").append(chart(r -> r.p99Micros() / 1000.0, "ms", "%.2f"));
        out.append("<h2>Latency distribution</h2>\n<p class=\"muted\">The share of requests answered within each time"
                + " (log scale): the further left and the steeper, the better.</p>\n").append(distribution());
        out.append("<h2>Throughput during the race</h2>\n<p class=\"muted\">Requests answered per second in each "
                + "fortieth of each race's time.</p>\n").append(timeline());
        // three tables rather than one row of up to 23 columns, which ran off a laptop's screen
        out.append("<h2>Results</h2>\n<table><tr><th>strategy</th><th>requests</th><th>attempts</th><th>reserved</th>")
                .append("<th>replayed</th><th>rejected</th><th>contended</th><th>oversold</th><th>ledger</th></tr>\n");
        for (RaceReport r : reports) {
            HistoryChecker.Verdict v = r.verdict();
            out.append("<tr>").append(strategyCell(r)).append("<td>").append(requests(r)).append("</td><td>")
                    .append(r.attempts()).append("</td><td>").append(r.grantedUnits()).append("</td><td>")
                    .append(r.replayed()).append("</td><td>").append(r.refused()).append("</td><td>")
                    .append(r.contended()).append("</td>")
                    .append(v.oversold() == 0 ? "<td>0</td>" : "<td class=\"bad\">" + v.oversold() + "</td>")
                    .append(v.ledger() == 0 ? "<td>ok</td>" : "<td class=\"bad\">broken</td>").append("</tr>\n");
        }
        out.append("</table>\n");
        out.append("<h2>Speed</h2>\n<table><tr><th>strategy</th>");
        for (Measure m : MEASURES) {
            out.append("<th>").append(escape(m.title())).append("</th>");
        }
        out.append("</tr>\n");
        double[] best = MEASURES.stream().mapToDouble(this::best).toArray();
        for (RaceReport r : reports) {
            out.append("<tr>").append(strategyCell(r));
            for (int i = 0; i < MEASURES.size(); i++) {
                Measure m = MEASURES.get(i);
                out.append(wins(r, m, best[i]) ? "<td class=\"best\">" : "<td>")
                        .append(String.format(Locale.ROOT, m.format(), m.value().applyAsDouble(r))).append("</td>");
            }
            out.append("</tr>\n");
        }
        out.append("</table>\n<p class=\"muted\">Bold: the best database strategy in its column. The in-memory strategy "
                + "is the reference: no database at all.</p>\n");
        out.append("<h2>Meters</h2>\n<table><tr><th>strategy</th><th>retries</th><th>releases</th><th>holds confirmed</th>")
                .append("<th>holds released</th><th>holds expired</th><th>batches</th><th>mean batch</th><th>max batch</th></tr>\n");
        for (int i = 0; i < reports.size(); i++) {
            Meters m = meters.get(i);
            out.append("<tr>").append(strategyCell(reports.get(i))).append(String.format(Locale.ROOT,
                    "<td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%.1f</td><td>%.0f</td></tr>%n",
                    m.retries(), m.releases(), m.holdsConfirmed(), m.holdsReleased(), m.holdsExpired(), m.batches(),
                    m.meanBatch(), m.maxBatch()));
        }
        out.append("</table>\n<p class=\"muted\">What a <code>MicrometerListener</code> on each strategy counted"
                + " during its race (the warm-up left out): a strategy's own retries, holds by how they ended, and the"
                + " combining strategy's batches (orders are not batched). A hold counts as expired when it is ended after"
                + " its expiry (taken back for a reserve that needed the room, or met by a late confirm or release); one"
                + " that nothing touched after it ran out is not, so this can be lower than the expired holds the history counts.</p>\n");
        if (!holdColumns().isEmpty()) {
            out.append("<h2>Holds, orders and limits</h2>\n<table><tr><th>strategy</th>");
            for (HoldColumn c : holdColumns()) {
                out.append("<th>").append(escape(c.title())).append("</th>");
            }
            out.append("</tr>\n");
            for (RaceReport r : reports) {
                out.append("<tr>").append(strategyCell(r));
                for (HoldColumn c : holdColumns()) {
                    long value = c.value().applyAsLong(r);
                    boolean mustBeZero = c.title().equals("half") || c.title().equals("over-limit");
                    out.append(mustBeZero && value != 0 ? "<td class=\"bad\">" : "<td>").append(value).append("</td>");
                }
                out.append("</tr>\n");
            }
            out.append("</table>\n");
        }
        out.append("<h2>Parameters</h2>\n<table>");
        parameters().forEach((k, v) -> out.append("<tr><td>").append(escape(k)).append("</td><td style=\"text-align:left\"><code>")
                .append(escape(v)).append("</code></td></tr>"));
        out.append("</table>\n</body></html>\n");
        return out.toString();
    }

    private static final String[] COLORS = {"#2f6fb0", "#d9822b", "#2e8b57", "#8e44ad", "#9aa5b1", "#c0392b", "#16a085"};

    private static final int CHART_WIDTH = 860;
    private static final int CHART_HEIGHT = 260;
    private static final int LEFT = 60;
    private static final int BOTTOM = 30;

    /** Each strategy's latency distribution as a line: the share answered within x ms, x on a log scale. */
    private String distribution() {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (RaceReport r : reports) {
            for (long micros : r.latencyMicros()) {
                min = Math.min(min, Math.max(1, micros));
                max = Math.max(max, Math.max(1, micros));
            }
        }
        double lo = Math.floor(Math.log10(min));
        double hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
        int plotWidth = CHART_WIDTH - LEFT - 170;
        int plotHeight = CHART_HEIGHT - BOTTOM - 10;
        StringBuilder svg = new StringBuilder(svgStart(CHART_WIDTH, CHART_HEIGHT));
        svg.append(axes(plotWidth, plotHeight));
        for (double decade = lo; decade <= hi; decade++) {
            int x = LEFT + (int) Math.round(plotWidth * (decade - lo) / (hi - lo));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", x,
                    CHART_HEIGHT - 8, msLabel(Math.pow(10, decade))));
        }
        for (int share = 0; share <= 100; share += 50) {
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d%%</text>", LEFT - 6,
                    10 + plotHeight - plotHeight * share / 100 + 4, share));
        }
        for (int i = 0; i < reports.size(); i++) {
            RaceReport r = reports.get(i);
            StringBuilder points = new StringBuilder();
            for (int q = 0; q < RaceReport.QUANTILES.length; q++) {
                double x = LEFT + plotWidth * (Math.log10(Math.max(1, r.latencyMicros()[q])) - lo) / (hi - lo);
                double y = 10 + plotHeight * (1 - RaceReport.QUANTILES[q]);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            svg.append(line(points.toString(), i)).append(legend(r, i, plotWidth));
        }
        return svg.append("</svg>\n").toString();
    }

    /** Each strategy's requests per second over its race's time, as a line. */
    private String timeline() {
        double max = reports.stream().filter(r -> !reference(r)).flatMapToDouble(r -> java.util.Arrays.stream(r.timeline()))
                .max().orElse(1);
        if (max <= 0) {
            max = 1;
        }
        int plotWidth = CHART_WIDTH - LEFT - 170;
        int plotHeight = CHART_HEIGHT - BOTTOM - 10;
        StringBuilder svg = new StringBuilder(svgStart(CHART_WIDTH, CHART_HEIGHT));
        svg.append(axes(plotWidth, plotHeight));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%,.0f/s</text>", LEFT - 6, 14, max))
                .append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">start</text>", LEFT, CHART_HEIGHT - 8))
                .append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">end of each race</text>",
                        LEFT + plotWidth, CHART_HEIGHT - 8));
        for (int i = 0; i < reports.size(); i++) {
            RaceReport r = reports.get(i);
            if (reference(r)) {
                // tens of times the others': it would flatten them
                svg.append(legend(r, i, plotWidth).replace("(ref.)", "(ref.), not drawn"));
                continue;
            }
            double[] perSecond = r.timeline();
            StringBuilder points = new StringBuilder();
            for (int t = 0; t < perSecond.length; t++) {
                double x = LEFT + plotWidth * (t + 0.5) / perSecond.length;
                double y = 10 + plotHeight * (1 - Math.min(perSecond[t], max) / max);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            svg.append(line(points.toString(), i)).append(legend(r, i, plotWidth));
        }
        return svg.append("</svg>\n").toString();
    }

    private static String svgStart(int width, int height) {
        return String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">%n",
                width, height);
    }

    private static String axes(int plotWidth, int plotHeight) {
        return String.format(Locale.ROOT, "<path d=\"M%d 10 V%d H%d\" fill=\"none\" stroke=\"#999\"/>%n", LEFT,
                10 + plotHeight, LEFT + plotWidth);
    }

    private static String line(String points, int i) {
        return String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                points.trim(), COLORS[i % COLORS.length]);
    }

    private String legend(RaceReport r, int i, int plotWidth) {
        int y = 18 + i * 20;
        return String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                        + "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + plotWidth + 16, y - 4, COLORS[i % COLORS.length],
                LEFT + plotWidth + 36, y, escape(r.strategy()) + (reference(r) ? " (ref.)" : ""));
    }

    private static String msLabel(double micros) {
        return micros >= 1000 ? String.format(Locale.ROOT, "%,.0f ms", micros / 1000) : String.format(Locale.ROOT, "%s ms",
                java.math.BigDecimal.valueOf(micros / 1000).stripTrailingZeros().toPlainString());
    }

    private static String strategyCell(RaceReport r) {
        return "<td>" + escape(r.strategy()) + (reference(r) ? " <span class=\"muted\">(reference)</span>" : "") + "</td>";
    }

    /** A horizontal bar chart, one bar per strategy, as inline SVG. */
    private String chart(ToDoubleFunction<RaceReport> value, String unit, String format) {
        int barHeight = 26;
        int labelWidth = 190;
        int width = 860;
        // scaled to the database strategies: the in-memory reference would flatten them, so its bar
        // is cut at the edge with its value written out
        double max = reports.stream().filter(r -> !reference(r)).mapToDouble(value).max()
                .orElse(reports.stream().mapToDouble(value).max().orElse(1));
        if (max <= 0) {
            max = 1;
        }
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">%n",
                width, reports.size() * barHeight + 10));
        for (int i = 0; i < reports.size(); i++) {
            RaceReport r = reports.get(i);
            double v = value.applyAsDouble(r);
            int length = (int) Math.round((width - labelWidth - 240) * Math.min(v, max) / max);
            int y = i * barHeight + 5;
            svg.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\">%s</text>", y + 17, escape(r.strategy())))
                    .append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>",
                            labelWidth, y + 3, Math.max(1, length), barHeight - 8, reference(r) ? "#9aa5b1" : "#2f6fb0"))
                    .append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s %s%s</text>%n", labelWidth + length + 6,
                            y + 17, String.format(Locale.ROOT, format, v), unit, v > max ? ", off the scale" : ""));
        }
        return svg.append("</svg>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
