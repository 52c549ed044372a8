package dev.capacity.stress.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * kill -9 of a JVM reserving at full speed on an H2 file database: with {@code WRITE_DELAY=0}
 * every acknowledged reservation and release is in the reopened file, and the invariants hold.
 *
 * <p>To watch it fail, run it against H2's default (a 500 ms write delay), which loses hundreds
 * of acknowledged reservations per kill: {@code -Dcapacity.h2crash.setting=default}. Replay a run
 * with {@code -Dcapacity.seed=N}. Measure every setting: {@link H2Crash#main}.
 */
final class H2CrashTest {

    private static final Path WORK = Path.of("target", "h2-crash");
    private static final int ACKNOWLEDGEMENTS = 2000;
    private static final int THREADS = 4;

    @Test
    void kill9_withWriteDelay0_losesNoAcknowledgedReservationAndKeepsTheInvariants() throws IOException {
        H2Setting setting = H2Setting.fromCliName(System.getProperty("capacity.h2crash.setting", "write-delay-0"));
        long seed = seed();
        Path work = Files.createDirectories(WORK).resolve("test-" + Long.toHexString(System.nanoTime()));

        CrashReport report = H2Crash.run(new H2Crash.Config(setting, THREADS, ACKNOWLEDGEMENTS, seed), work);
        System.out.println(report);

        assertThat(report.killedBySigkill()).as("exit code 137: SIGKILL\n%s", report).isTrue();
        assertThat(report.acknowledgedReservations()).as(report.toString()).isGreaterThanOrEqualTo(ACKNOWLEDGEMENTS);
        assertThat(report.acknowledgedReleases()).as("some releases are acknowledged too\n%s", report).isPositive();
        assertThat(report.problems()).as(report.toString()).isEmpty();
        assertThat(report.lostReservations()).as("acknowledged reservations missing after kill -9\n%s", report).isZero();
        assertThat(report.lostReleases()).as("acknowledged releases missing after kill -9\n%s", report).isZero();
        assertThat(report.rows()).as(report.toString())
                .isEqualTo(report.acknowledgedReservations() + report.unacknowledgedRows());
        deleteRecursively(work);
    }

    /** The check itself must see a lost acknowledgement and a broken ledger: the negative control. */
    @Test
    void check_withAForgedAcknowledgementAndACorruptedCounter_reportsBoth() throws IOException {
        Path work = Files.createDirectories(WORK).resolve("control-" + Long.toHexString(System.nanoTime()));
        String prefix = "control-";
        String url = H2Setting.WRITE_DELAY_0.jdbcUrl(work.resolve("db"));
        Acknowledgements acks = new Acknowledgements(1);
        try (CapacityPool pool = CapacityPool.open(url, "sa", "", 2)) {
            CapacitySchema.install(pool.jdbi());
            JdbiReservationStrategy counters = JdbiStrategies.conditionalUpdate(pool.jdbi());
            JdbiReservationStrategy slots = JdbiStrategies.uniqueSlots(pool.jdbi());
            for (int i = 0; i < CrashWorker.RESOURCES_PER_FAMILY; i++) {
                counters.define(CrashWorker.counterResource(prefix, i), 100);
                slots.define(CrashWorker.slotsResource(prefix, i), 100);
            }
            for (int n = 0; n < 10; n++) {
                JdbiReservationStrategy strategy = n % 2 == 0 ? counters : slots;
                String resource = n % 2 == 0 ? CrashWorker.counterResource(prefix, 0) : CrashWorker.slotsResource(prefix, 0);
                ReservationResult result = strategy.reserve(ReservationRequest.of(resource, "h").withQuantity(2)
                        .withIdempotencyKey(prefix + n));
                assertThat(result.status()).isEqualTo(ReservationResult.Status.RESERVED);
                acks.accept(String.join("\t", CrashWorker.RESERVED, prefix + n, String.valueOf(result.reservation().id()),
                        resource, "2", CrashWorker.END));
            }
            H2Crash.Config config = new H2Crash.Config(H2Setting.WRITE_DELAY_0, 1, 10, 0);
            CrashReport clean = H2Crash.check(pool.jdbi(), config, prefix, CrashReport.SIGKILL_EXIT_CODE, 0, acks);
            assertThat(clean.problems()).as(clean.toString()).isEmpty();
            assertThat(clean.lostReservations()).as(clean.toString()).isZero();

            acks.forge(new Acknowledgements.Reserved(prefix + "never-written", 999_999, CrashWorker.counterResource(prefix, 1), 1));
            pool.jdbi().useHandle(h -> h.execute("UPDATE capacity_resource SET reserved = reserved + 1 WHERE id = ?",
                    CrashWorker.counterResource(prefix, 0)));
            CrashReport broken = H2Crash.check(pool.jdbi(), config, prefix, CrashReport.SIGKILL_EXIT_CODE, 0, acks);
            System.out.println(broken);

            assertThat(broken.lostReservations()).as(broken.toString()).isEqualTo(1);
            assertThat(broken.problems()).as(broken.toString()).singleElement().asString().startsWith("ledger:");
        }
        deleteRecursively(work);
    }

    private static long seed() {
        String given = System.getProperty("capacity.seed");
        long seed = given == null ? new Random().nextLong() : Long.parseLong(given);
        System.out.println("h2 crash seed " + seed + " (replay with -Dcapacity.seed=" + seed + ")");
        return seed;
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (Files.exists(directory)) {
            try (Stream<Path> files = Files.walk(directory)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }
}
