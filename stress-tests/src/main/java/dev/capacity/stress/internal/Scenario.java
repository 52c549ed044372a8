package dev.capacity.stress.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The workloads of a race. Each turns a seed into a {@link Plan}: the resources with their
 * capacities, and a script per thread, the same for the same seed. Scripts send some requests
 * with idempotency keys and some of those twice, from two different threads (a double submit),
 * so that every scenario also tests at most one reservation per key.
 */
public enum Scenario {
    /** One hot resource; twice its capacity demanded one unit at a time. */
    HOT("one hot resource, demand 2x capacity"),
    /** 20 resources; demand twice their total, skewed towards the first few. */
    SKEWED("20 resources, skewed demand 2x capacity"),
    /** Two resources; requests of 1 to 5 units, twice the capacity in units. */
    MIXED("quantities 1-5, demand 2x capacity"),
    /** Two small resources; reserves and releases of held reservations interleaved. */
    CHURN("reserve/release churn on small resources"),
    /** Churn while one thread shrinks and grows the capacities. */
    RESIZE("churn while capacities shrink and grow"),
    /**
     * Two small resources; holds of random time to live, confirmed, released or abandoned, beside
     * permanent reservations, while the race's clock jumps forward, at times past every hold.
     */
    CHECKOUT("holds confirmed, released and abandoned, a clock that jumps"),
    /**
     * Orders of 2 or 3 lines over three or four small resources, the lines in random order, some
     * keyed and sent twice, some released later, beside single reserves.
     */
    CROSSING_ORDERS("orders of 2-3 lines crossing over 3-4 resources"),
    /**
     * A resource with a per-holder limit: one holder's requests from every thread at once (a
     * bot), beside other holders who come back for more; holds, confirms and releases, a clock
     * that moves.
     */
    HOLDER_BOT("one holder from every thread at a per-holder limit");

    private final String description;

    Scenario(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** The scenario's name on the command line and in reports: {@code hot}, {@code crossing-orders}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The scenario of a {@link #label()}. */
    public static Scenario fromLabel(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    /** Whether the scenario's strategies must read the race's clock: its plans make holds. */
    public boolean holds() {
        return this == CHECKOUT || this == HOLDER_BOT;
    }

    /**
     * Whether the scenario is about holds running out as the race's clock moves: it cannot run
     * without its clock moves ({@link Plan#withoutClockMoves}).
     */
    public boolean aboutExpiry() {
        return this == CHECKOUT;
    }

    /** Whether the scenario's plans make orders. */
    public boolean orders() {
        return this == CROSSING_ORDERS;
    }

    /** Whether the scenario's plans limit the units per holder. */
    public boolean limits() {
        return this == HOLDER_BOT;
    }

    /** One step of a thread's script. */
    public sealed interface Step permits Reserve, Order, ReleaseOrder, ConfirmOrder, ReleaseHeld, Confirm, Release,
            Advance, Resize {}

    /** Reserve {@code quantity} units; a hold that lives {@code hold} if that is not null. */
    public record Reserve(String resourceId, String holderId, int quantity, String key, Duration hold) implements Step {

        /** A permanent reservation. */
        public Reserve(String resourceId, String holderId, int quantity, String key) {
            this(resourceId, holderId, quantity, key, null);
        }
    }

    /**
     * Reserve every line of an order, or none ({@code reserveAll}); {@code name} names it for a
     * later {@link ReleaseOrder}.
     */
    public record Order(String name, List<Reserve> lines) implements Step {
        public Order {
            lines = List.copyOf(lines);
        }
    }

    /** Release every line of the order {@code name} this thread was granted (or replayed), if it was. */
    public record ReleaseOrder(String name) implements Step {}

    /** Confirm every line of the order {@code name} this thread was granted (or replayed) that is a hold. */
    public record ConfirmOrder(String name) implements Step {}

    /** Release one of the reservations this thread holds, chosen by {@code pick} (mod the number held). */
    public record ReleaseHeld(int pick) implements Step {}

    /** Confirm the hold this thread was granted (or replayed) for {@code holderId}, if it was. */
    public record Confirm(String holderId) implements Step {}

    /** Release the reservation this thread was granted (or replayed) for {@code holderId}, if it was. */
    public record Release(String holderId) implements Step {}

    /** Move the race's clock forward. */
    public record Advance(Duration by) implements Step {}

    /** Resize a resource. */
    public record Resize(String resourceId, long capacity) implements Step {}

    /**
     * What a race runs: resources with their capacities, one script per thread, and the per-holder
     * limits set on some resources before the race starts.
     */
    public record Plan(Map<String, Long> capacities, List<List<Step>> scripts, Map<String, Long> limits) {

        /** A plan without limits. */
        public Plan(Map<String, Long> capacities, List<List<Step>> scripts) {
            this(capacities, scripts, Map.of());
        }

        /** The scripts of threads {@code [from, to)}: one process's share of a multi-process race. */
        public List<List<Step>> slice(int from, int to) {
            return scripts.subList(from, to);
        }

        /**
         * This plan without its moves of the race's clock: the clock stands at its start for the
         * whole race, as every process's clock does in a multi-process race, so holds never run out.
         */
        public Plan withoutClockMoves() {
            List<List<Step>> still = scripts.stream()
                    .map(script -> script.stream().filter(step -> !(step instanceof Advance)).toList()).toList();
            return new Plan(capacities, still, limits);
        }
    }

    /**
     * The plan for {@code threads} threads around a capacity of {@code capacity} units, on
     * resources whose ids start with {@code resourcePrefix}.
     */
    public Plan plan(String resourcePrefix, int threads, int capacity, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Long> capacities = new LinkedHashMap<>();
        List<Step> requests = new ArrayList<>();
        switch (this) {
            case HOT: {
                String id = resourcePrefix + "hot";
                capacities.put(id, (long) capacity);
                for (int i = 0; i < 2 * capacity; i++) {
                    requests.add(new Reserve(id, "h" + i, 1, ""));
                }
                break;
            }
            case SKEWED: {
                int count = 20;
                int each = Math.max(2, capacity / 5);
                for (int r = 0; r < count; r++) {
                    capacities.put(resourcePrefix + "r" + r, (long) each);
                }
                Plans.Skew skew = new Plans.Skew(count, 1.1);
                for (int i = 0; i < 2 * each * count; i++) {
                    requests.add(new Reserve(resourcePrefix + "r" + skew.pick(random), "h" + i, 1, ""));
                }
                break;
            }
            case MIXED: {
                String a = resourcePrefix + "a";
                String b = resourcePrefix + "b";
                capacities.put(a, (long) capacity);
                capacities.put(b, (long) capacity);
                long units = 0;
                for (int i = 0; units < 4L * capacity; i++) {
                    int quantity = 1 + random.nextInt(5);
                    units += quantity;
                    requests.add(new Reserve(i % 2 == 0 ? a : b, "h" + i, quantity, ""));
                }
                break;
            }
            case CHURN:
            case RESIZE: {
                String a = resourcePrefix + "a";
                String b = resourcePrefix + "b";
                long small = Math.max(4, capacity / 8);
                capacities.put(a, small);
                capacities.put(b, small);
                for (int i = 0; i < 3 * capacity; i++) {
                    if (random.nextInt(10) < 6) {
                        requests.add(new Reserve(random.nextBoolean() ? a : b, "h" + i, 1 + random.nextInt(3), ""));
                    } else {
                        requests.add(new ReleaseHeld(random.nextInt(1 << 20)));
                    }
                }
                break;
            }
            case CHECKOUT:
                return Plans.checkout(resourcePrefix, threads, capacity, random);
            case CROSSING_ORDERS:
                return Plans.crossingOrders(resourcePrefix, threads, capacity, random);
            case HOLDER_BOT:
                return Plans.holderBot(resourcePrefix, threads, capacity, random);
            default:
                throw new AssertionError(this);
        }
        List<List<Step>> scripts = Plans.deal(requests, threads, 0.25, resourcePrefix + "key", random);
        if (this == RESIZE) {
            List<Step> resizer = scripts.get(0);
            List<String> ids = new ArrayList<>(capacities.keySet());
            long small = capacities.get(ids.get(0));
            for (int i = 0, at = 0; i < 12; i++) {
                at = Math.min(resizer.size(), at + 1 + random.nextInt(Math.max(1, resizer.size() / 12 + 1)));
                long target = i % 2 == 0 ? Math.max(1, small / 4) : small * 2 - i % 3;
                resizer.add(at, new Resize(ids.get(i % ids.size()), target));
            }
        }
        return new Plan(capacities, scripts);
    }
}
