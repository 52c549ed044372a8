package dev.capacity.stress.crash;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The H2 2.3 (MVStore) file settings the crash test compares. What each gives, read from H2's
 * source ({@code TransactionStore.endTransaction}, {@code FileStore}):
 * <ul>
 *   <li>{@link #DEFAULT}: {@code WRITE_DELAY} 500 ms. A commit returns once it is in memory; a
 *       background thread writes the changes to the file when 500 ms have passed since its last
 *       write (or when unsaved changes fill the buffer). A process killed in between loses
 *       commits it acknowledged.</li>
 *   <li>{@link #WRITE_DELAY_0}: every commit writes its chunk to the file (a {@code write}, into
 *       the OS page cache) before it returns, on the committing thread. Nothing is lost when the
 *       process dies; the OS still holds the data. No setting fsyncs on commit: only
 *       {@code CHECKPOINT SYNC}, a clean close and compaction call {@code FileChannel.force}.</li>
 *   <li>{@link #NIO_MAPPED} and {@link #NIO_MAPPED_WRITE_DELAY_0}: the same two through the
 *       memory-mapped file system; writes into the mapping are in the page cache at once.</li>
 * </ul>
 *
 * <p>This enum is immutable and threadsafe.
 */
public enum H2Setting {

    DEFAULT("jdbc:h2:file:", ""),
    WRITE_DELAY_0("jdbc:h2:file:", ";WRITE_DELAY=0"),
    NIO_MAPPED("jdbc:h2:nioMapped:", ""),
    NIO_MAPPED_WRITE_DELAY_0("jdbc:h2:nioMapped:", ";WRITE_DELAY=0");

    private final String urlPrefix;
    private final String urlSuffix;

    H2Setting(String urlPrefix, String urlSuffix) {
        this.urlPrefix = urlPrefix;
        this.urlSuffix = urlSuffix;
    }

    /** The JDBC URL of the database in {@code file} (without H2's {@code .mv.db} suffix). */
    public String jdbcUrl(Path file) {
        return urlPrefix + file.toAbsolutePath() + urlSuffix;
    }

    /** The name on the command line: {@code default}, {@code write-delay-0}, ... */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static H2Setting fromCliName(String name) {
        for (H2Setting setting : values()) {
            if (setting.cliName().equals(name) || setting.name().equals(name)) {
                return setting;
            }
        }
        throw new IllegalArgumentException("no H2 setting named '" + name + "'; known: "
                + Arrays.stream(values()).map(H2Setting::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName() + " (" + urlPrefix + "..." + urlSuffix + ")";
    }
}
