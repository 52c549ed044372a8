package dev.capacity.examples.race;

import dev.capacity.stress.internal.Plans;
import dev.capacity.stress.internal.Scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Turns the race's options into a plan: the same plan, from the same seed, for every strategy. */
final class Workload {

    /** Steps per thread of a churn script; a timed race repeats it until the time is up. */
    private static final int CHURN_STEPS = 200;
    /** How long a hold lives, by the race's clock. */
    static final Duration HOLD = Duration.ofMinutes(10);
    /** How far a buyer moves the race's clock, after one step in ten. */
    static final Duration TICK = Duration.ofMinutes(1);

    private Workload() {}

    static Scenario.Plan plan(String prefix, RaceOptions options) {
        SplittableRandom random = new SplittableRandom(options.seed());
        Map<String, Long> capacities = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>();
        for (int r = 0; r < options.resources(); r++) {
            String id = prefix + "r" + r;
            ids.add(id);
            capacities.put(id, (long) options.capacity());
        }
        Plans.Skew skew = new Plans.Skew(ids.size(), options.skew());
        List<Scenario.Step> requests = new ArrayList<>();
        Set<String> paying = new HashSet<>();
        Holders holders = new Holders(options);
        if (options.durationSeconds() == 0) {
            long wanted = Math.round(options.demand() * options.capacity() * options.resources());
            long units = 0;
            for (int i = 0; units < wanted; i++) {
                if (options.orders()) {
                    Scenario.Order order = order(ids, skew, i, holders.next(i, random), options, paying, random);
                    units += order.lines().stream().mapToInt(Scenario.Reserve::quantity).sum();
                    requests.add(order);
                } else {
                    int quantity = quantity(options, random);
                    units += quantity;
                    requests.add(buyer(ids.get(skew.pick(random)), holders.next(i, random), quantity, options, paying,
                            random));
                }
            }
        } else {
            for (int i = 0; i < CHURN_STEPS * options.threads(); i++) {
                if (options.orders()) {
                    requests.add(order(ids, skew, i, holders.next(i, random), options, paying, random));
                } else {
                    requests.add(buyer(ids.get(skew.pick(random)), holders.next(i, random), quantity(options, random),
                            options, paying, random));
                }
                requests.add(new Scenario.ReleaseHeld(random.nextInt(1 << 20)));
            }
        }
        List<List<Scenario.Step>> scripts = Plans.deal(requests, options.threads(), options.keyShare(), prefix + "key",
                random);
        Map<String, Long> limits = new LinkedHashMap<>();
        if (options.limited()) {
            ids.forEach(id -> limits.put(id, options.holderLimit()));
        }
        return new Scenario.Plan(capacities, options.holds() ? withPayments(scripts, paying, random) : scripts, limits);
    }

    /**
     * The buyers' holder ids: each buyer its own ({@code buyer-i}), or, with a per-holder limit
     * {@code K}, one of a pool small enough that the limit refuses some and large enough that the
     * resources still sell out: in a sell-out, about {@code K} units asked per holder and resource
     * (a holder who asks for more is refused the rest, and the holders together can take twice the
     * capacity at the default demand); in a churn, where each thread keeps about one request's units,
     * one holder per {@code K} units the threads keep on a resource at once. Draws nothing without
     * a limit, so that the plan of a seed stays what it was.
     */
    private static final class Holders {
        private final int pool;

        Holders(RaceOptions options) {
            if (!options.limited()) {
                pool = 0;
                return;
            }
            double unitsPerRequest = (options.minQuantity() + options.maxQuantity()) / 2.0;
            double perResource = options.durationSeconds() == 0 ? options.demand() * options.capacity()
                    : options.threads() * unitsPerRequest * options.orderLines() / options.resources();
            pool = (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(perResource / options.holderLimit())));
        }

        String next(int buyer, SplittableRandom random) {
            return pool == 0 ? "buyer-" + buyer : "buyer-" + random.nextInt(pool);
        }
    }

    /**
     * A buyer's order: one line on each of {@code --order-lines} different resources (drawn with
     * the skew, then put in random order), each line's quantity drawn alone; with {@code --holds},
     * every line held, for a share of the buyers, and among those two in three who will pay.
     */
    private static Scenario.Order order(List<String> ids, Plans.Skew skew, int buyer, String holder, RaceOptions options,
                                        Set<String> paying, SplittableRandom random) {
        List<String> chosen = new ArrayList<>();
        while (chosen.size() < options.orderLines()) {
            String id = ids.get(skew.pick(random));
            if (chosen.contains(id)) {
                // a heavy skew keeps drawing the same few: take the next one not chosen yet instead
                int from = ids.indexOf(id);
                for (int k = 1; chosen.contains(id); k++) {
                    id = ids.get((from + k) % ids.size());
                }
            }
            chosen.add(id);
        }
        for (int j = chosen.size() - 1; j > 0; j--) {
            java.util.Collections.swap(chosen, j, random.nextInt(j + 1));
        }
        boolean hold = options.holds() && random.nextDouble() < options.holdShare();
        String name = "order-" + buyer;
        if (hold && random.nextInt(3) < 2) {
            paying.add(name);
        }
        List<Scenario.Reserve> lines = new ArrayList<>();
        for (String id : chosen) {
            lines.add(new Scenario.Reserve(id, holder, quantity(options, random), "", hold ? HOLD : null));
        }
        return new Scenario.Order(name, lines);
    }

    /**
     * A buyer's reserve: with {@code --holds}, a hold for a share of them, and among those two
     * in three who will pay (in {@code paying}). Draws nothing more without holds, so that the
     * plan of a seed stays what it was.
     */
    private static Scenario.Reserve buyer(String resourceId, String holder, int quantity, RaceOptions options,
                                          Set<String> paying, SplittableRandom random) {
        if (!options.holds() || random.nextDouble() >= options.holdShare()) {
            return new Scenario.Reserve(resourceId, holder, quantity, "");
        }
        if (random.nextInt(3) < 2) {
            paying.add(holder);
        }
        return new Scenario.Reserve(resourceId, holder, quantity, "", HOLD);
    }

    /**
     * Each script with a confirm 0 to 3 steps after each hold whose buyer pays, and the race's
     * clock moved by {@link #TICK} after one step in ten: abandoned holds expire while the race
     * goes on, and a slow payment meets an expired hold now and then.
     */
    private static List<List<Scenario.Step>> withPayments(List<List<Scenario.Step>> scripts, Set<String> paying,
                                                          SplittableRandom random) {
        List<List<Scenario.Step>> paid = new ArrayList<>();
        for (List<Scenario.Step> script : scripts) {
            List<List<Scenario.Step>> after = new ArrayList<>();
            for (int i = 0; i < script.size() + 4; i++) {
                after.add(new ArrayList<>());
            }
            List<Scenario.Step> out = new ArrayList<>();
            for (int i = 0; i < script.size(); i++) {
                Scenario.Step step = script.get(i);
                out.add(step);
                if (step instanceof Scenario.Reserve reserve && paying.contains(reserve.holderId())) {
                    after.get(i + random.nextInt(4)).add(new Scenario.Confirm(reserve.holderId()));
                } else if (step instanceof Scenario.Order order && paying.contains(order.name())) {
                    after.get(i + random.nextInt(4)).add(new Scenario.ConfirmOrder(order.name()));
                }
                out.addAll(after.get(i));
                if (random.nextInt(10) == 0) {
                    out.add(new Scenario.Advance(TICK));
                }
            }
            after.subList(script.size(), after.size()).forEach(out::addAll);
            paid.add(out);
        }
        return paid;
    }

    /** The number of reserve steps of a plan, an order's lines each counted: the progress bar's 100%. */
    static long reserves(Scenario.Plan plan) {
        return plan.scripts().stream().flatMap(List::stream).mapToLong(s -> s instanceof Scenario.Reserve ? 1
                : s instanceof Scenario.Order order ? order.lines().size() : 0).sum();
    }

    private static int quantity(RaceOptions options, SplittableRandom random) {
        return options.minQuantity() + random.nextInt(options.maxQuantity() - options.minQuantity() + 1);
    }
}
