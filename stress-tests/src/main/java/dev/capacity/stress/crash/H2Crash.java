package dev.capacity.stress.crash;

import dev.capacity.jdbc.CapacityPool;
import dev.capacity.stress.internal.Options;
import dev.capacity.stress.internal.Snapshot;

import org.jdbi.v3.core.Jdbi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The H2 file-mode crash: a {@link CrashWorker} JVM reserves at full speed on an H2 file database;
 * once the parent has read enough acknowledgements it kills the worker with SIGKILL
 * ({@link ProcessHandle#destroyForcibly()}: on Linux the JDK sends signal 9, and the exit code 137
 * shows it), reads what is left in the pipe, reopens the file in this JVM and checks it:
 * <ul>
 *   <li>the database opens and every table reads;</li>
 *   <li>each resource's counter (slot rows, for unique-slots) equals the units of its unreleased
 *       reservations and stays within the capacity; each unreleased slot reservation holds exactly
 *       its quantity of slots and a released one none;</li>
 *   <li>no idempotency key has two rows;</li>
 *   <li>how many acknowledged reservations and releases are missing: <b>lost</b>; and how many rows
 *       were committed but never acknowledged (fine: the kill came between commit and
 *       acknowledgement).</li>
 * </ul>
 * A kill -9 is not a power cut: what H2 had written to the file is in the OS page cache and
 * survives. So this measures whether H2 had <em>written</em> a commit before it returned, not
 * whether it had synced it.
 *
 * <p>Run it by hand: {@code mvn -q -pl stress-tests -am compile exec:exec@crash
 * -Dcrash.args="--setting all --runs 5"}.
 *
 * <p>This class is stateless and threadsafe; each run uses its own database file.
 */
public final class H2Crash {

    static final long CAPACITY = 10_000_000;
    static final int RELEASE_ONE_IN = 10;
    private static final long WORKER_MAX_SECONDS = 180;
    private static final long ACKNOWLEDGEMENT_TIMEOUT_SECONDS = 120;
    private static final String TABLE_PREFIX = "capacity_";

    private H2Crash() {}

    /**
     * @param acknowledgements how many acknowledged reservations to wait for before the kill
     */
    public record Config(H2Setting setting, int threads, int acknowledgements, long seed) {}

    public static CrashReport run(Config config, Path workDirectory) {
        String prefix = "crash-" + Long.toHexString(config.seed() & 0xffffffffL) + "-"
                + Long.toHexString(System.nanoTime()) + "-";
        try {
            Files.createDirectories(workDirectory);
            String url = config.setting().jdbcUrl(workDirectory.resolve(prefix + "db"));
            Path log = workDirectory.resolve(prefix + "worker.log");
            Acknowledgements acks = new Acknowledgements(config.acknowledgements());
            Process worker = start(config, url, prefix, log);
            long millisUntilKill;
            int exitCode;
            try {
                Thread reader = new Thread(() -> read(worker, acks), "crash-reader");
                reader.setDaemon(true);
                reader.start();
                awaitOrFail(acks.ready().await(ACKNOWLEDGEMENT_TIMEOUT_SECONDS, TimeUnit.SECONDS), worker, log, acks, "READY");
                long ready = System.nanoTime();
                awaitOrFail(acks.enough().await(ACKNOWLEDGEMENT_TIMEOUT_SECONDS, TimeUnit.SECONDS), worker, log, acks,
                        config.acknowledgements() + " acknowledgements");
                // SIGKILL through the process handle: Process.destroyForcibly() would also close our end
                // of the pipe and drop the acknowledgements still in it
                worker.toHandle().destroyForcibly();
                millisUntilKill = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ready);
                if (!worker.waitFor(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the worker did not die within 60 s of SIGKILL");
                }
                exitCode = worker.exitValue();
                // the pipe still holds what the worker wrote before it died: read it to the end
                reader.join(TimeUnit.SECONDS.toMillis(60));
                if (reader.isAlive()) {
                    throw new IllegalStateException("the worker's output did not end within 60 s of its death");
                }
                if (acks.readFailure() != null) {
                    throw new IllegalStateException("could not read all of the worker's output", acks.readFailure());
                }
                if (acks.malformed() > 1) {
                    throw new IllegalStateException(acks.malformed() + " malformed lines from the worker; only the last"
                            + " may be cut by the kill. Its log:\n" + readLog(log));
                }
            } finally {
                worker.destroyForcibly();
            }
            return check(config, prefix, url, exitCode, millisUntilKill, acks);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Process start(Config config, String url, String prefix, Path log) throws IOException {
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), CrashWorker.class.getName(),
                "--jdbc-url", url, "--prefix", prefix, "--threads", String.valueOf(config.threads()),
                "--capacity", String.valueOf(CAPACITY), "--seed", String.valueOf(config.seed()),
                "--release-one-in", String.valueOf(RELEASE_ONE_IN), "--max-seconds", String.valueOf(WORKER_MAX_SECONDS));
        return new ProcessBuilder(command).redirectError(log.toFile()).start();
    }

    private static void read(Process worker, Acknowledgements acks) {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                acks.accept(line);
            }
        } catch (IOException | RuntimeException e) {
            acks.failed(e);
        }
    }

    private static void awaitOrFail(boolean arrived, Process worker, Path log, Acknowledgements acks, String what) {
        if (!arrived) {
            throw new IllegalStateException("no " + what + " from the worker within " + ACKNOWLEDGEMENT_TIMEOUT_SECONDS
                    + " s (alive: " + worker.isAlive() + ", acknowledged so far: " + acks.reservations().size()
                    + "); its log:\n" + readLog(log));
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Reopens the database in this JVM and holds it against the acknowledgements. */
    static CrashReport check(Config config, String prefix, String url, int exitCode, long millisUntilKill,
                             Acknowledgements acks) {
        try (CapacityPool pool = CapacityPool.open(url, "sa", "", 2)) {
            return check(pool.jdbi(), config, prefix, exitCode, millisUntilKill, acks);
        }
    }

    static CrashReport check(Jdbi jdbi, Config config, String prefix, int exitCode, long millisUntilKill,
                             Acknowledgements acks) {
        Snapshot after = Snapshot.fromTables(jdbi, TABLE_PREFIX, prefix);
        Map<Long, Long> slotsByReservation = slotsByReservation(jdbi, prefix);
        List<String> problems = new ArrayList<>();

        if (after.resources().size() != 2 * CrashWorker.RESOURCES_PER_FAMILY) {
            problems.add("expected " + 2 * CrashWorker.RESOURCES_PER_FAMILY + " resources, found " + after.resources().keySet());
        }
        Map<String, Long> heldUnits = new HashMap<>();
        Map<String, Long> rowsByKey = new HashMap<>();
        for (Snapshot.Row row : after.rows().values()) {
            if (!row.released()) {
                heldUnits.merge(row.resourceId(), (long) row.quantity(), Long::sum);
            }
            rowsByKey.merge(row.key(), 1L, Long::sum);
            boolean slotFamily = row.resourceId().startsWith(prefix + "slots-");
            long slots = slotsByReservation.getOrDefault(row.id(), 0L);
            long expectedSlots = slotFamily && !row.released() ? row.quantity() : 0;
            if (slots != expectedSlots) {
                problems.add("reservation " + row.id() + " on " + row.resourceId() + (row.released() ? " (released)" : "")
                        + " holds " + slots + " slots, expected " + expectedSlots);
            }
        }
        slotsByReservation.keySet().stream().filter(id -> !after.rows().containsKey(id))
                .forEach(id -> problems.add("slots held by reservation " + id + ", which has no row"));
        for (Snapshot.ResourceState resource : after.resources().values()) {
            long held = heldUnits.getOrDefault(resource.id(), 0L);
            if (resource.counter() != held) {
                problems.add("ledger: " + resource.id() + " counts " + resource.counter() + " but its unreleased rows hold "
                        + held);
            }
            if (resource.counter() > resource.capacity()) {
                problems.add("oversold: " + resource.id() + " counts " + resource.counter() + " over capacity "
                        + resource.capacity());
            }
        }
        rowsByKey.forEach((key, count) -> {
            if (count > 1) {
                problems.add("idempotency key " + key + " has " + count + " rows");
            }
        });

        Map<String, Snapshot.Row> rowByKey = after.rows().values().stream()
                .collect(Collectors.toMap(Snapshot.Row::key, row -> row, (a, b) -> a));
        Map<String, Acknowledgements.Reserved> acknowledged = acks.reservations();
        List<String> lostSamples = new ArrayList<>();
        long lostReservations = 0;
        for (Acknowledgements.Reserved ack : acknowledged.values()) {
            Snapshot.Row row = rowByKey.get(ack.key());
            if (row == null || row.id() != ack.id() || !row.resourceId().equals(ack.resourceId())
                    || row.quantity() != ack.quantity()) {
                lostReservations++;
                if (lostSamples.size() < 5) {
                    lostSamples.add(ack + " -> " + row);
                }
            }
        }
        long lostReleases = 0;
        for (long id : acks.releases()) {
            Snapshot.Row row = after.rows().get(id);
            if (row == null || !row.released()) {
                lostReleases++;
                if (lostSamples.size() < 10) {
                    lostSamples.add("release of " + id + " -> " + row);
                }
            }
        }
        long unacknowledgedRows = after.rows().values().stream().filter(row -> !acknowledged.containsKey(row.key())).count();
        return new CrashReport(config.setting(), config.seed(), config.threads(), prefix, exitCode, millisUntilKill,
                acknowledged.size(), acks.releases().size(), after.rows().size(), lostReservations, lostReleases,
                unacknowledgedRows, problems, lostSamples);
    }

    private static Map<Long, Long> slotsByReservation(Jdbi jdbi, String prefix) {
        return jdbi.withHandle(h -> h.createQuery("SELECT reservation_id, COUNT(*) AS slots FROM " + TABLE_PREFIX
                        + "slot WHERE resource_id LIKE :like GROUP BY reservation_id")
                .bind("like", prefix + "%")
                .reduceRows(new HashMap<Long, Long>(), (map, row) -> {
                    map.put(row.getColumn("reservation_id", Long.class), row.getColumn("slots", Long.class));
                    return map;
                }));
    }

    /** Deletes a run's database and log; a run with a broken invariant keeps them, to look at. */
    private static void deleteFiles(Path work, String prefix) {
        try (var files = Files.list(work)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code --setting NAME|all} (see {@link H2Setting#cliName()}), {@code --runs N} kills per
     * setting, {@code --acknowledgements N}, {@code --threads N}, {@code --seed N} (else random),
     * {@code --work DIR} (default {@code target/h2-crash}).
     */
    public static void main(String[] args) {
        Map<String, String> options = Options.parse(args, "acknowledgements", "runs", "seed", "setting", "threads", "work");
        String settingName = options.getOrDefault("setting", "all");
        List<H2Setting> settings = settingName.equals("all") ? Arrays.asList(H2Setting.values())
                : List.of(H2Setting.fromCliName(settingName));
        int runs = Integer.parseInt(options.getOrDefault("runs", "5"));
        int acknowledgements = Integer.parseInt(options.getOrDefault("acknowledgements", "3000"));
        int threads = Integer.parseInt(options.getOrDefault("threads", "4"));
        long seed = options.containsKey("seed") ? Long.parseLong(options.get("seed")) : new Random().nextLong();
        Path work = Path.of(options.getOrDefault("work", "target/h2-crash"));
        System.out.println("h2 crash: settings " + settings + ", " + runs + " runs each, kill after " + acknowledgements
                + " acknowledgements, " + threads + " threads, seed " + seed + ", files in " + work.toAbsolutePath());

        List<String> summary = new ArrayList<>();
        boolean allHold = true;
        for (H2Setting setting : settings) {
            List<CrashReport> reports = new ArrayList<>();
            for (int run = 0; run < runs; run++) {
                CrashReport report = run(new Config(setting, threads, acknowledgements, seed + run), work);
                System.out.println(report);
                reports.add(report);
                if (report.invariantsHold()) {
                    deleteFiles(work, report.prefix());
                }
                allHold &= report.invariantsHold() && report.killedBySigkill();
            }
            summary.add(String.format("%-26s lost acknowledged reservations per kill: min %d, max %d, runs %s;"
                            + " lost releases: max %d; invariants held in %d of %d",
                    setting.cliName(),
                    reports.stream().mapToLong(CrashReport::lostReservations).min().orElse(0),
                    reports.stream().mapToLong(CrashReport::lostReservations).max().orElse(0),
                    reports.stream().map(r -> r.lostReservations() + "/" + r.acknowledgedReservations()).toList(),
                    reports.stream().mapToLong(CrashReport::lostReleases).max().orElse(0),
                    reports.stream().filter(CrashReport::invariantsHold).count(), reports.size()));
        }
        System.out.println();
        summary.forEach(System.out::println);
        System.exit(allHold ? 0 : 1);
    }
}
