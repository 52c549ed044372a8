package dev.capacity.stress;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The building blocks of plans: a skewed choice among resources, and dealing requests to threads. */
public final class Plans {

    private Plans() {}

    /** Picks index {@code i} of {@code n} with weight {@code 1 / (i + 1)^skew}: 0 is even, 1 is Zipf-like. */
    public static final class Skew {
        private final double[] cumulative;

        public Skew(int n, double skew) {
            cumulative = new double[n];
            double total = 0;
            for (int i = 0; i < n; i++) {
                total += 1 / Math.pow(i + 1, skew);
                cumulative[i] = total;
            }
        }

        public int pick(SplittableRandom random) {
            double x = random.nextDouble() * cumulative[cumulative.length - 1];
            for (int i = 0; i < cumulative.length; i++) {
                if (x < cumulative[i]) {
                    return i;
                }
            }
            return cumulative.length - 1;
        }
    }

    /**
     * Deals {@code requests} to {@code threads} scripts at random. A share {@code keyShare} of the
     * reserves get an idempotency key ({@code keyPrefix} and a number), and a third of those are
     * also dealt to a second thread: the same request sent twice at once, like a double submit.
     */
    public static List<List<Scenario.Step>> deal(List<Scenario.Step> requests, int threads, double keyShare,
                                                  String keyPrefix, SplittableRandom random) {
        List<List<Scenario.Step>> scripts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            scripts.add(new ArrayList<>());
        }
        int keyed = 0;
        for (Scenario.Step step : requests) {
            int thread = random.nextInt(threads);
            if (step instanceof Scenario.Reserve r && random.nextDouble() < keyShare) {
                step = new Scenario.Reserve(r.resourceId(), r.holderId(), r.quantity(), keyPrefix + keyed++);
                if (threads > 1 && random.nextInt(3) == 0) {
                    scripts.get((thread + 1 + random.nextInt(threads - 1)) % threads).add(step);
                }
            }
            scripts.get(thread).add(step);
        }
        return scripts;
    }
}
