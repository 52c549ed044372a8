package dev.capacity.stress.internal;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a race runs: a name for the reports and how to connect.
 *
 * <p>This class is immutable and threadsafe.
 */
public record Database(String name, String jdbcUrl, String user, String password) {

    public Database {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    }

    /** An H2 database in this JVM's memory, kept until the JVM exits. */
    public static Database h2Memory(String name) {
        return new Database("h2", "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1", "sa", "");
    }

    /** An H2 database in a file, with H2's default settings. */
    public static Database h2File(Path file) {
        return new Database("h2-file", "jdbc:h2:file:" + file.toAbsolutePath(), "sa", "");
    }
}
