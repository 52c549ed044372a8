package dev.capacity.examples.race;

import dev.capacity.stress.Plans;
import dev.capacity.stress.Scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Turns the race's options into a plan: the same plan, from the same seed, for every strategy. */
final class Workload {

    /** Steps per thread of a churn script; a timed race repeats it until the time is up. */
    private static final int CHURN_STEPS = 200;

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
        if (options.durationSeconds() == 0) {
            long wanted = Math.round(options.demand() * options.capacity() * options.resources());
            long units = 0;
            for (int i = 0; units < wanted; i++) {
                int quantity = quantity(options, random);
                units += quantity;
                requests.add(new Scenario.Reserve(ids.get(skew.pick(random)), "buyer-" + i, quantity, ""));
            }
        } else {
            for (int i = 0; i < CHURN_STEPS * options.threads(); i++) {
                requests.add(new Scenario.Reserve(ids.get(skew.pick(random)), "buyer-" + i, quantity(options, random), ""));
                requests.add(new Scenario.ReleaseHeld(random.nextInt(1 << 20)));
            }
        }
        return new Scenario.Plan(capacities,
                Plans.deal(requests, options.threads(), options.keyShare(), prefix + "key", random));
    }

    /** The number of reserve steps of a plan: the progress bar's 100%. */
    static long reserves(Scenario.Plan plan) {
        return plan.scripts().stream().flatMap(List::stream).filter(s -> s instanceof Scenario.Reserve).count();
    }

    private static int quantity(RaceOptions options, SplittableRandom random) {
        return options.minQuantity() + random.nextInt(options.maxQuantity() - options.minQuantity() + 1);
    }
}
