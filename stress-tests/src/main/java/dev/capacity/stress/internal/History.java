package dev.capacity.stress.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Every operation of a race, from every thread (and, merged, every process). Threadsafe: threads
 * record into it concurrently.
 */
public final class History {

    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();

    public void record(Op op) {
        ops.add(op);
    }

    public void recordAll(Collection<Op> more) {
        ops.addAll(more);
    }

    /** The operations in the order they were invoked. */
    public List<Op> ops() {
        List<Op> sorted = new ArrayList<>(ops);
        sorted.sort(Comparator.comparingLong(Op::invokedMicros));
        return sorted;
    }

    /** How many operations so far match {@code filter}. */
    public long count(java.util.function.Predicate<Op> filter) {
        return ops.stream().filter(filter).count();
    }

    public int size() {
        return ops.size();
    }

    public void write(Path file) {
        List<String> lines = new ArrayList<>();
        for (Op op : ops) {
            lines.add(op.toLine());
        }
        try {
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the history to " + file, e);
        }
    }

    public static History read(Path file) {
        History history = new History();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    history.record(Op.fromLine(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the history in " + file, e);
        }
        return history;
    }
}
