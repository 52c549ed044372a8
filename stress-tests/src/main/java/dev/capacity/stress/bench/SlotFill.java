package dev.capacity.stress.bench;

import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.stress.internal.Database;
import dev.capacity.stress.internal.Durability;
import dev.capacity.stress.internal.EmbeddedMariaDbServer;
import dev.capacity.stress.internal.EmbeddedPostgresServer;
import dev.capacity.stress.internal.EmbeddedServer;
import dev.capacity.stress.internal.Options;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How unique-slots' free-slot search costs as a resource fills: one resource of a large capacity
 * (1,000,000 by default) is filled to 0, 90, 99, 99.9 and 100% with slots taken at random places
 * (one reservation holding them, written straight into the tables), then one thread reserves and
 * releases one unit at a time and the latency of each reserve is recorded, on a durable
 * PostgreSQL and a durable MariaDB server started from the embedded binaries. At 100% every
 * reserve is refused, which shows what a sold-out resource costs: the first refusal walks every
 * slot and marks the resource sold out ("first ms"), the later ones read the mark.
 *
 * <pre>
 * mvn -q -pl stress-tests -am compile exec:java@slots -Dexec.args="--capacity 1000000 --calls 200 --databases postgres,mariadb"
 * </pre>
 * {@code --fills 99.9,100} measures only those fills (percent); {@code --callers-transaction true}
 * makes each reserve in a transaction of the caller's ({@code reserve(handle, request)} inside
 * {@code inTransaction}) instead of the strategy's own; {@code --order true} places each as an
 * order of one line ({@code reserveAll}).
 */
public final class SlotFill {

    private SlotFill() {}

    public static void main(String[] args) {
        Map<String, String> options = Options.parse(args, "callers-transaction", "calls", "capacity", "databases", "fills", "order");
        long capacity = Long.parseLong(options.getOrDefault("capacity", "1000000"));
        int calls = Integer.parseInt(options.getOrDefault("calls", "200"));
        List<Double> fills = Arrays.stream(options.getOrDefault("fills", "0,90,99,99.9,100").split(","))
                .map(fill -> Double.parseDouble(fill.trim()) / 100).toList();
        boolean callers = Boolean.parseBoolean(options.getOrDefault("callers-transaction", "false"));
        boolean orders = Boolean.parseBoolean(options.getOrDefault("order", "false"));
        for (String database : options.getOrDefault("databases", "postgres,mariadb").split(",")) {
            switch (database.trim()) {
                case "postgres" -> {
                    try (EmbeddedServer server = EmbeddedPostgresServer.start(Durability.DURABLE)) {
                        run(server, "PostgreSQL 17 (fsync on)", capacity, calls, fills, callers, orders);
                    }
                }
                case "mariadb" -> {
                    try (EmbeddedServer server = EmbeddedMariaDbServer.start(Durability.DURABLE)) {
                        run(server, "MariaDB 11.4 (flush at every commit)", capacity, calls, fills, callers, orders);
                    }
                }
                default -> throw new IllegalArgumentException("--databases takes postgres and mariadb, not '" + database + "'");
            }
        }
    }

    private static void run(EmbeddedServer server, String name, long capacity, int calls, List<Double> fills,
                            boolean callers, boolean orders) {
        Database db = server.database();
        try (CapacityPool pool = CapacityPool.open(db.jdbcUrl(), db.user(), db.password(), 4)) {
            CapacitySchema.install(pool.jdbi());
            JdbiReservationStrategy slots = JdbiStrategies.of(StrategyKind.UNIQUE_SLOTS, pool.jdbi());
            System.out.printf(Locale.ROOT, "unique-slots on %s, capacity %,d, %d calls per row%s%s%n%n", name, capacity,
                    calls, orders ? ", each an order of one line" : "", callers ? ", each in the caller's transaction" : "");
            System.out.printf(Locale.ROOT, "%8s %12s %10s %10s %10s %10s %10s%n", "fill", "free slots", "first ms",
                    "p50 ms", "p99 ms", "max ms", "granted");
            for (double fill : fills) {
                String id = "fill-" + fill;
                slots.define(id, capacity);
                long taken = fill(pool, server instanceof EmbeddedPostgresServer, id, capacity, fill);
                long[] micros = new long[calls];
                int grants = 0;
                for (int i = 0; i < calls; i++) {
                    long start = System.nanoTime();
                    ReservationRequest request = ReservationRequest.of(id, "probe-" + i);
                    Reservation granted = orders ? order(pool, slots, request, callers) : reserve(pool, slots, request, callers);
                    micros[i] = (System.nanoTime() - start) / 1_000;
                    if (granted != null) {
                        grants++;
                        slots.release(granted.id());
                    }
                }
                long first = micros[0];
                Arrays.sort(micros);
                System.out.printf(Locale.ROOT, "%7.1f%% %,12d %10.2f %10.2f %10.2f %10.2f %10d%n", fill * 100,
                        capacity - taken, first / 1000.0, micros[calls / 2] / 1000.0,
                        micros[(int) Math.ceil(calls * 0.99) - 1] / 1000.0, micros[calls - 1] / 1000.0, grants);
            }
            System.out.println();
        }
    }

    /** The reservation granted to {@code request}, or null if refused. */
    private static Reservation reserve(CapacityPool pool, JdbiReservationStrategy slots, ReservationRequest request,
                                       boolean callers) {
        ReservationResult result = callers ? pool.jdbi().inTransaction(handle -> slots.reserve(handle, request))
                : slots.reserve(request);
        return result.reservation();
    }

    /** The reservation granted to an order of {@code request} alone, or null if refused. */
    private static Reservation order(CapacityPool pool, JdbiReservationStrategy slots, ReservationRequest request,
                                     boolean callers) {
        List<ReservationRequest> lines = List.of(request);
        OrderResult result = callers ? pool.jdbi().inTransaction(handle -> slots.reserveAll(handle, lines))
                : slots.reserveAll(lines);
        return result.isReserved() ? result.reservations().get(0) : null;
    }

    /** Takes {@code fill} of the slots at random places for one reservation; the number taken. */
    private static long fill(CapacityPool pool, boolean postgres, String resourceId, long capacity, double fill) {
        if (fill == 0) {
            return 0;
        }
        return pool.jdbi().inTransaction(h -> {
            h.createUpdate("INSERT INTO capacity_reservation (resource_id, holder_id, quantity, created_at)"
                    + " VALUES (:r, 'filler', 1, CURRENT_TIMESTAMP)").bind("r", resourceId).execute();
            long reservation = h.createQuery("SELECT id FROM capacity_reservation WHERE resource_id = :r")
                    .bind("r", resourceId).mapTo(Long.class).one();
            // the numbers 0 .. capacity - 1 made by the server: generate_series, or MariaDB's sequence engine
            String numbers = postgres ? "generate_series(0, " + (capacity - 1) + ") AS n(seq)"
                    : "seq_0_to_" + (capacity - 1);
            int taken = h.createUpdate("INSERT INTO capacity_slot (resource_id, slot, reservation_id)"
                            + " SELECT :r, seq, :v FROM " + numbers + " WHERE :f >= 1.0 OR " + (postgres ? "random()" : "RAND()")
                            + " < :f")
                    .bind("r", resourceId).bind("v", reservation).bind("f", fill).execute();
            h.createUpdate("UPDATE capacity_reservation SET quantity = :q WHERE id = :v")
                    .bind("q", taken).bind("v", reservation).execute();
            return (long) taken;
        });
    }
}
