package dev.capacity.stress.bench;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.stress.internal.Database;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedPostgresServer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How unique-slots' free-slot search costs as a resource fills: one resource of a large capacity
 * (1,000,000 by default) is filled to 0, 90, 99, 99.9 and 100% with slots taken at random places
 * (one reservation holding them, written straight into the tables), then one thread reserves and
 * releases one unit at a time and the latency of each reserve is recorded. At 100% every reserve
 * is refused, which shows what a sold-out resource costs.
 *
 * <pre>
 * mvn -q -pl stress-tests -am compile exec:java@slots -Dexec.args="--capacity 1000000 --calls 200"
 * </pre>
 */
public final class SlotFill {

    private SlotFill() {}

    public static void main(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        long capacity = Long.parseLong(options.getOrDefault("capacity", "1000000"));
        int calls = Integer.parseInt(options.getOrDefault("calls", "200"));
        List<Double> fills = List.of(0.0, 0.9, 0.99, 0.999, 1.0);
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(Durability.DURABLE)) {
            Database db = server.database();
            try (CapacityPool pool = CapacityPool.open(db.jdbcUrl(), db.user(), db.password(), 4)) {
                CapacitySchema.install(pool.jdbi());
                JdbiReservationStrategy slots = JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, pool.jdbi());
                System.out.printf(Locale.ROOT, "unique-slots on PostgreSQL 17 (fsync on), capacity %,d, %d calls per row%n%n",
                        capacity, calls);
                System.out.printf(Locale.ROOT, "%8s %12s %10s %10s %10s %12s%n", "fill", "free slots", "p50 ms",
                        "p99 ms", "max ms", "granted");
                for (double fill : fills) {
                    String id = "fill-" + fill;
                    slots.define(id, capacity);
                    long taken = fill(pool, id, capacity, fill);
                    long[] micros = new long[calls];
                    int granted = 0;
                    for (int i = 0; i < calls; i++) {
                        long start = System.nanoTime();
                        ReservationResult result = slots.reserve(ReservationRequest.of(id, "probe-" + i));
                        micros[i] = (System.nanoTime() - start) / 1_000;
                        if (result.isReserved()) {
                            granted++;
                            slots.release(result.reservation().id());
                        }
                    }
                    Arrays.sort(micros);
                    System.out.printf(Locale.ROOT, "%7.1f%% %,12d %10.2f %10.2f %10.2f %12d%n", fill * 100,
                            capacity - taken, micros[calls / 2] / 1000.0, micros[(int) Math.ceil(calls * 0.99) - 1] / 1000.0,
                            micros[calls - 1] / 1000.0, granted);
                }
            }
        }
    }

    /** Takes {@code fill} of the slots at random places for one reservation; the number taken. */
    private static long fill(CapacityPool pool, String resourceId, long capacity, double fill) {
        if (fill == 0) {
            return 0;
        }
        return pool.jdbi().inTransaction(h -> {
            long reservation = h.createQuery("INSERT INTO capacity_reservation (resource_id, holder_id, quantity,"
                            + " created_at) VALUES (:r, 'filler', 1, now()) RETURNING id")
                    .bind("r", resourceId).mapTo(Long.class).one();
            int taken = h.createUpdate("INSERT INTO capacity_slot (resource_id, slot, reservation_id)"
                            + " SELECT :r, g, :v FROM generate_series(0, :c - 1) AS g WHERE :f >= 1.0 OR random() < :f")
                    .bind("r", resourceId).bind("v", reservation).bind("c", capacity).bind("f", fill).execute();
            h.createUpdate("UPDATE capacity_reservation SET quantity = :q WHERE id = :v")
                    .bind("q", taken).bind("v", reservation).execute();
            return (long) taken;
        });
    }
}
