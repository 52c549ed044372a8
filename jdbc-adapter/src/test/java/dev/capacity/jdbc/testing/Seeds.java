package dev.capacity.jdbc.testing;

import java.util.Random;

/**
 * The seed of a randomized test: {@code -Dcapacity.seed=N} replays a run, otherwise a fresh one is
 * drawn. It is printed, and every failure message carries it.
 */
public final class Seeds {

    private Seeds() {}

    public static long next(String test) {
        String given = System.getProperty("capacity.seed");
        long seed = given == null ? new Random().nextLong() : Long.parseLong(given);
        System.out.println(test + ": seed " + seed + " (replay with -Dcapacity.seed=" + seed + ")");
        return seed;
    }
}
