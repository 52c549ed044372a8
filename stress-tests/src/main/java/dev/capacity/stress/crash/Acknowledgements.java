package dev.capacity.stress.crash;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * What the parent has read from a {@link CrashWorker}'s output: the acknowledged reservations by
 * idempotency key and the acknowledged releases. Only whole lines count.
 *
 * <p>This class is threadsafe: one reader thread adds, any thread reads.
 */
final class Acknowledgements {

    /** An acknowledged reservation, as the worker reported it. */
    record Reserved(String key, long id, String resourceId, int quantity) {}

    private final Map<String, Reserved> reservations = new ConcurrentHashMap<>();
    private final Set<Long> releases = ConcurrentHashMap.newKeySet();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch enough;
    private volatile long malformed;
    private volatile Exception readFailure;

    Acknowledgements(int enoughReservations) {
        this.enough = new CountDownLatch(enoughReservations);
    }

    /** Takes one line of the worker's output; a line cut short by the kill is ignored. */
    void accept(String line) {
        if (line.equals(CrashWorker.READY)) {
            ready.countDown();
            return;
        }
        String[] fields = line.split("\t");
        if (fields.length == 6 && fields[0].equals(CrashWorker.RESERVED) && fields[5].equals(CrashWorker.END)) {
            Reserved reserved = new Reserved(fields[1], Long.parseLong(fields[2]), fields[3], Integer.parseInt(fields[4]));
            if (reservations.putIfAbsent(reserved.key(), reserved) != null) {
                throw new IllegalStateException("the worker acknowledged key " + reserved.key() + " twice");
            }
            enough.countDown();
        } else if (fields.length == 3 && fields[0].equals(CrashWorker.RELEASED) && fields[2].equals(CrashWorker.END)) {
            releases.add(Long.parseLong(fields[1]));
        } else {
            malformed++;
        }
    }

    /** The reader could not read the output to its end. */
    void failed(Exception e) {
        readFailure = e;
    }

    Exception readFailure() {
        return readFailure;
    }

    /** For the negative control: an acknowledgement the database never saw. */
    void forge(Reserved reserved) {
        reservations.put(reserved.key(), reserved);
    }

    Map<String, Reserved> reservations() {
        return Map.copyOf(reservations);
    }

    Set<Long> releases() {
        return Set.copyOf(releases);
    }

    /** Lines that were not whole: at most one, the one the kill cut. */
    long malformed() {
        return malformed;
    }

    CountDownLatch ready() {
        return ready;
    }

    CountDownLatch enough() {
        return enough;
    }
}
