package dev.capacity.stress.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
     * reserves get an idempotency key ({@code keyPrefix} and a number), and of the orders every
     * line one (the order's key, a dash and the line); a third of those are also dealt to a second
     * thread: the same request sent twice at once, like a double submit.
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
            } else if (step instanceof Scenario.Order o && random.nextDouble() < keyShare) {
                // an order is keyed on every line, so that sent twice it is replayed
                String key = keyPrefix + keyed++;
                List<Scenario.Reserve> lines = new ArrayList<>();
                for (Scenario.Reserve line : o.lines()) {
                    lines.add(new Scenario.Reserve(line.resourceId(), line.holderId(), line.quantity(),
                            key + "-" + lines.size(), line.hold()));
                }
                step = new Scenario.Order(o.name(), lines);
                if (threads > 1 && random.nextInt(3) == 0) {
                    scripts.get((thread + 1 + random.nextInt(threads - 1)) % threads).add(step);
                }
            }
            scripts.get(thread).add(step);
        }
        return scripts;
    }

    /**
     * The checkout scenario ({@link Scenario#CHECKOUT}): two hot resources of {@code capacity / 8}
     * units, a quiet one of four times that, and {@code 3 * capacity} buyers of 1 or 2 units, each
     * on a thread drawn at random; one buyer in five goes to the quiet resource, which rarely
     * fills, so that its expired holds stay unended until a late confirm or release meets them.
     * Seven buyers in ten hold for 1 to 60 s, then confirm (four in ten, and six of those release
     * later), release (two in ten) or abandon (four in ten); the others reserve for good, and
     * eight in ten of them release later. A buyer's next step comes after up to three of its
     * thread's later buyers, or, one time in three, after 4 to 10 (a slow payer). A quarter of
     * the reserves carry an idempotency key, and a third of those are also sent by another
     * thread, a double submit. Between steps a thread moves the clock forward: by 1 to 10 s one
     * step in five, by 2 to 5 minutes (past every hold) one step in a hundred.
     */
    static Scenario.Plan checkout(String prefix, int threads, int capacity, SplittableRandom random) {
        String[] ids = {prefix + "a", prefix + "b", prefix + "quiet"};
        long small = Math.max(4, capacity / 8);
        Map<String, Long> capacities = new LinkedHashMap<>();
        capacities.put(ids[0], small);
        capacities.put(ids[1], small);
        capacities.put(ids[2], 16 * small);
        // per thread, slot k: its k-th buyer's reserve, then the steps of earlier buyers due after it
        List<List<List<Scenario.Step>>> slots = new ArrayList<>();
        List<List<Scenario.Step>> doubled = new ArrayList<>();
        int[] buyers = new int[threads];
        for (int t = 0; t < threads; t++) {
            slots.add(new ArrayList<>());
            doubled.add(new ArrayList<>());
        }
        int keys = 0;
        for (int i = 0; i < 3 * capacity; i++) {
            int thread = random.nextInt(threads);
            List<List<Scenario.Step>> mine = slots.get(thread);
            int at = buyers[thread]++;
            String holder = "h" + i;
            boolean hold = random.nextInt(10) < 7;
            String key = random.nextInt(4) == 0 ? prefix + "key" + keys++ : "";
            String id = random.nextInt(5) < 2 ? ids[2] : ids[random.nextInt(2)];
            Scenario.Reserve reserve = new Scenario.Reserve(id, holder, 1 + random.nextInt(2), key,
                    hold ? Duration.ofMillis(1_000 + random.nextInt(59_001)) : null);
            slot(mine, at).add(0, reserve);
            if (!key.isEmpty() && threads > 1 && random.nextInt(3) == 0) {
                doubled.get(random.nextInt(threads)).add(reserve);
            }
            int fate = random.nextInt(10);
            // a slow payer in three comes back after more buyers, likely past the hold's expiry
            at += random.nextInt(3) > 0 ? 6 + random.nextInt(9) : random.nextInt(4);
            if (hold && fate < 4) {
                slot(mine, at).add(new Scenario.Confirm(holder));
                if (random.nextInt(10) < 6) {
                    slot(mine, at + random.nextInt(4)).add(new Scenario.Release(holder));
                }
            } else if (hold ? fate < 6 : fate < 8) {
                slot(mine, at).add(new Scenario.Release(holder));
            }
        }
        List<List<Scenario.Step>> scripts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Scenario.Step> script = new ArrayList<>();
            for (Scenario.Step step : flatten(slots.get(t))) {
                int tick = random.nextInt(100);
                if (tick < 20) {
                    script.add(new Scenario.Advance(Duration.ofMillis(1_000 + random.nextInt(9_001))));
                } else if (tick == 20) {
                    script.add(new Scenario.Advance(Duration.ofSeconds(120 + random.nextInt(181))));
                }
                script.add(step);
            }
            for (Scenario.Step step : doubled.get(t)) {
                script.add(random.nextInt(script.size() + 1), step);
            }
            scripts.add(script);
        }
        return new Scenario.Plan(capacities, scripts);
    }

    /**
     * The crossing-orders scenario ({@link Scenario#CROSSING_ORDERS}): three or four resources of
     * {@code capacity / 16} to twice that (at least 3), and {@code 3 * capacity / 4} orders (at
     * least one per thread) of 2 or 3 lines, each line 1 unit (or 2, one time in four) of a
     * different resource, the lines in random order, every order on a thread drawn at random
     * except that each thread's first step is an order of 3 lines (an opening wave that
     * overfills the resources at once). A quarter of the orders key every line,
     * and a third of those are also sent by another thread (a double submit); four in ten are
     * released, line by line, one to four of their thread's steps later. Beside the orders, one
     * single reserve of 1 unit for every four orders, half of them released later.
     */
    static Scenario.Plan crossingOrders(String prefix, int threads, int capacity, SplittableRandom random) {
        int count = 3 + random.nextInt(2);
        long small = Math.max(3, capacity / 16);
        List<String> ids = new ArrayList<>();
        Map<String, Long> capacities = new LinkedHashMap<>();
        for (int r = 0; r < count; r++) {
            String id = prefix + (char) ('a' + r);
            ids.add(id);
            capacities.put(id, small + random.nextInt((int) small + 1));
        }
        List<List<List<Scenario.Step>>> slots = new ArrayList<>();
        List<List<Scenario.Step>> doubled = new ArrayList<>();
        int[] steps = new int[threads];
        for (int t = 0; t < threads; t++) {
            slots.add(new ArrayList<>());
            doubled.add(new ArrayList<>());
        }
        int orders = Math.max(threads, capacity * 3 / 4);
        for (int i = 0; i < orders; i++) {
            int thread = i < threads ? i : random.nextInt(threads);
            int at = steps[thread]++;
            String name = "o" + i;
            boolean keyed = random.nextInt(4) == 0;
            List<String> shuffled = new ArrayList<>(ids);
            for (int j = shuffled.size() - 1; j > 0; j--) {
                java.util.Collections.swap(shuffled, j, random.nextInt(j + 1));
            }
            List<Scenario.Reserve> lines = new ArrayList<>();
            // each thread's first order (an opening wave, all at once) has three lines, later ones two or three
            for (String id : shuffled.subList(0, i < threads ? 3 : 2 + random.nextInt(2))) {
                lines.add(new Scenario.Reserve(id, name, random.nextInt(4) == 0 ? 2 : 1,
                        keyed ? prefix + "key" + i + "-" + lines.size() : ""));
            }
            Scenario.Order order = new Scenario.Order(name, lines);
            slot(slots.get(thread), at).add(0, order);
            if (keyed && threads > 1 && random.nextInt(3) == 0) {
                doubled.get((thread + 1 + random.nextInt(threads - 1)) % threads).add(order);
            }
            if (random.nextInt(10) < 4) {
                slot(slots.get(thread), at + 1 + random.nextInt(4)).add(new Scenario.ReleaseOrder(name));
            }
            if (i >= threads && random.nextInt(4) == 0) {
                int single = random.nextInt(threads);
                int when = steps[single]++;
                String holder = "s" + i;
                slot(slots.get(single), when).add(0, new Scenario.Reserve(ids.get(random.nextInt(count)), holder, 1, ""));
                if (random.nextBoolean()) {
                    slot(slots.get(single), when + 1 + random.nextInt(4)).add(new Scenario.Release(holder));
                }
            }
        }
        List<List<Scenario.Step>> scripts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Scenario.Step> script = new ArrayList<>(flatten(slots.get(t)));
            for (Scenario.Step step : doubled.get(t)) {
                script.add(random.nextInt(script.size() + 1), step);
            }
            scripts.add(script);
        }
        return new Scenario.Plan(capacities, scripts);
    }

    /**
     * The holder-bot scenario ({@link Scenario#HOLDER_BOT}): a per-holder limit of 2 to 4 units on
     * two resources. On the first, "wave", with room for every thread, each thread's first step
     * is the bot's request for 1 unit, kept for good: an opening burst from every thread at once,
     * of which exactly the limit is granted. On the second, "limited", of {@code capacity / 4}
     * units (at least 8), {@code 3 * capacity / 4} requests of 1 unit (or 2, one time in four), half
     * of them the bot's and half of {@code capacity / 10} other holders' (each comes back about four
     * times), each on a thread drawn at random. Four in ten are holds of 5 to 120 s, of which
     * three in ten are confirmed (half of those released later) and three in ten released; six in
     * ten of the permanent ones are released, one to four of their thread's steps later (the
     * latest reservation of that holder on the thread, if it got one). A fifth of the requests
     * carry an idempotency key, a third of those also sent by another thread. Between steps a
     * thread moves the clock by 1 to 30 s one step in eight, and by 3 to 4 minutes (past every
     * hold) one step in sixty.
     */
    static Scenario.Plan holderBot(String prefix, int threads, int capacity, SplittableRandom random) {
        String wave = prefix + "wave";
        String limited = prefix + "limited";
        long limit = 2 + random.nextInt(3);
        Map<String, Long> capacities = new LinkedHashMap<>();
        capacities.put(wave, (long) threads);
        capacities.put(limited, Math.max(8L, capacity / 4));
        Map<String, Long> limits = new LinkedHashMap<>();
        limits.put(wave, limit);
        limits.put(limited, limit);
        List<List<List<Scenario.Step>>> slots = new ArrayList<>();
        List<List<Scenario.Step>> doubled = new ArrayList<>();
        int[] steps = new int[threads];
        for (int t = 0; t < threads; t++) {
            slots.add(new ArrayList<>());
            doubled.add(new ArrayList<>());
            slot(slots.get(t), steps[t]++).add(new Scenario.Reserve(wave, "bot", 1, ""));
        }
        int others = Math.max(2, capacity / 10);
        int keys = 0;
        for (int i = 0; i < capacity * 3 / 4; i++) {
            int thread = random.nextInt(threads);
            int at = steps[thread]++;
            String holder = random.nextBoolean() ? "bot" : "h" + random.nextInt(others);
            boolean hold = random.nextInt(10) < 4;
            String key = random.nextInt(5) == 0 ? prefix + "key" + keys++ : "";
            Scenario.Reserve reserve = new Scenario.Reserve(limited, holder, random.nextInt(4) == 0 ? 2 : 1, key,
                    hold ? Duration.ofMillis(5_000 + random.nextInt(115_001)) : null);
            List<List<Scenario.Step>> mine = slots.get(thread);
            slot(mine, at).add(0, reserve);
            if (!key.isEmpty() && threads > 1 && random.nextInt(3) == 0) {
                doubled.get((thread + 1 + random.nextInt(threads - 1)) % threads).add(reserve);
            }
            int fate = random.nextInt(10);
            int later = at + 1 + random.nextInt(4);
            if (hold && fate < 3) {
                slot(mine, later).add(new Scenario.Confirm(holder));
                if (random.nextBoolean()) {
                    slot(mine, later + random.nextInt(3)).add(new Scenario.Release(holder));
                }
            } else if (fate < 6) {
                slot(mine, later).add(new Scenario.Release(holder));
            }
        }
        List<List<Scenario.Step>> scripts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Scenario.Step> script = new ArrayList<>();
            List<Scenario.Step> flat = flatten(slots.get(t));
            for (int i = 0; i < flat.size(); i++) {
                int tick = random.nextInt(120);
                if (i > 0 && tick < 15) {
                    script.add(new Scenario.Advance(Duration.ofMillis(1_000 + random.nextInt(29_001))));
                } else if (i > 0 && tick < 17) {
                    script.add(new Scenario.Advance(Duration.ofSeconds(180 + random.nextInt(61))));
                }
                script.add(flat.get(i));
            }
            for (Scenario.Step step : doubled.get(t)) {
                script.add(1 + random.nextInt(script.size()), step);
            }
            scripts.add(script);
        }
        return new Scenario.Plan(capacities, scripts, limits);
    }

    /** Slot {@code at} of {@code slots}, made (with those before it) if missing. */
    private static List<Scenario.Step> slot(List<List<Scenario.Step>> slots, int at) {
        while (slots.size() <= at) {
            slots.add(new ArrayList<>());
        }
        return slots.get(at);
    }

    private static List<Scenario.Step> flatten(List<List<Scenario.Step>> slots) {
        return slots.stream().flatMap(List::stream).toList();
    }
}
