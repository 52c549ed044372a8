package dev.capacity.stress.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A MariaDB Galera cluster on this machine, driven through {@code stress-tests/galera/cluster.sh}:
 * started in a temporary directory, stopped and removed by {@link #close()} (or, should the JVM end
 * first, by a shutdown hook). One node makes a plain server with the same settings, the yardstick
 * of the measurements. The account is {@code capacity}/{@code capacity}, on the database
 * {@code capacity}.
 *
 * <p>This class is threadsafe: its commands run one at a time.
 */
final class GaleraCluster implements AutoCloseable {

    /** {@code -Dcapacity.galera=skip} skips the Galera tests even where they could run. */
    static final String SKIP_PROPERTY = "capacity.galera";
    private static final String USER = "capacity";
    private static final String PASSWORD = "capacity";
    /** Installing the packages can take minutes on a slow mirror; starting takes about 15 s. */
    private static final Duration INSTALL = Duration.ofMinutes(15);
    private static final Duration COMMAND = Duration.ofMinutes(5);

    private final Path directory;
    private final List<Integer> ports;
    private final Thread stopAtExit;

    private GaleraCluster(Path directory, List<Integer> ports) {
        this.directory = directory;
        this.ports = List.copyOf(ports);
        this.stopAtExit = new Thread(() -> run(COMMAND, "stop", directory.toString()));
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /**
     * Why a cluster cannot run here, or empty if it can: the packages are installed (as root,
     * {@code cluster.sh install} installs them when missing) and the tests were not told to skip.
     */
    static Optional<String> unavailable() {
        if ("skip".equals(System.getProperty(SKIP_PROPERTY))) {
            return Optional.of("-D" + SKIP_PROPERTY + "=skip");
        }
        Result install = run(INSTALL, "install");
        if (install.exit() == 0) {
            return Optional.empty();
        }
        String why = install.output().lines().filter(l -> l.startsWith("cluster.sh:")).reduce((a, b) -> b)
                .orElse("cluster.sh install exited with " + install.exit());
        return Optional.of(why.replaceFirst("^cluster.sh: ", ""));
    }

    /** Starts a cluster of {@code nodes} nodes (1: a plain server), every node Synced. */
    static GaleraCluster start(int nodes) {
        Path directory;
        try {
            directory = Files.createTempDirectory("capacity-galera-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Result started = run(COMMAND, "start", directory.toString(), String.valueOf(nodes));
        String ports = started.output().lines().filter(l -> l.startsWith("PORTS ")).findFirst().orElse(null);
        if (started.exit() != 0 || ports == null) {
            run(COMMAND, "stop", directory.toString());
            throw new IllegalStateException("the Galera cluster did not start (exit " + started.exit() + "):\n"
                    + started.output());
        }
        return new GaleraCluster(directory, Arrays.stream(ports.substring(6).trim().split(" "))
                .map(Integer::valueOf).toList());
    }

    int size() {
        return ports.size();
    }

    /** Node {@code n} (1-based) alone. */
    Database node(int n) {
        return new Database(ports.size() == 1 ? "mariadb" : "galera-node" + n, "jdbc:mariadb://127.0.0.1:" + port(n)
                + "/" + EmbeddedMariaDbServer.DATABASE, USER, PASSWORD);
    }

    /**
     * Node {@code n}, reading only once it has applied every writeset the cluster committed before
     * the read ({@code wsrep_sync_wait=1}): for reading what a race left, on each node.
     */
    Database causalNode(int n) {
        Database node = node(n);
        return new Database(node.name(), node.jdbcUrl() + "?sessionVariables=wsrep_sync_wait=1", USER, PASSWORD);
    }

    /**
     * Every node, node {@code first} first: Connector/J's {@code sequential} mode connects to the
     * first that answers, in this order, and a connection lost is opened again on the next.
     */
    Database failover(int first) {
        String hosts = IntStream.range(0, ports.size()).map(i -> (first - 1 + i) % ports.size() + 1)
                .mapToObj(n -> "127.0.0.1:" + port(n)).collect(Collectors.joining(","));
        return new Database("galera-from-node" + first, "jdbc:mariadb:sequential://" + hosts + "/"
                + EmbeddedMariaDbServer.DATABASE, USER, PASSWORD);
    }

    private int port(int n) {
        return ports.get(n - 1);
    }

    /** SIGKILL of node {@code n}'s mariadbd, returned once the process is gone. */
    synchronized void kill(int n) {
        require(run(COMMAND, "kill", directory.toString(), String.valueOf(n)), "kill node" + n);
    }

    /**
     * Starts node {@code n} again and waits until every node is Synced in a cluster of all of
     * them; returns the script's line, which says whether the node caught up by IST or SST.
     */
    synchronized String rejoin(int n) {
        Result result = require(run(COMMAND, "rejoin", directory.toString(), String.valueOf(n)), "rejoin node" + n);
        return result.output().lines().filter(l -> l.startsWith("node")).reduce((a, b) -> b).orElse(result.output());
    }

    /** Each node's state and cluster size, as the script reports them. */
    synchronized String status() {
        return run(COMMAND, "status", directory.toString()).output().trim();
    }

    /** A global status variable of node {@code n}, as a number (0 where it is not a number). */
    long statusOf(int n, String variable) {
        Database node = node(n);
        try (Connection c = DriverManager.getConnection(node.jdbcUrl(), node.user(), node.password());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW GLOBAL STATUS LIKE '" + variable + "'")) {
            if (!rs.next()) {
                return 0;
            }
            try {
                return Long.parseLong(rs.getString(2));
            } catch (NumberFormatException e) {
                return 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read " + variable + " on node" + n, e);
        }
    }

    /** The sum over every node of a global status variable. */
    long statusSum(String variable) {
        long sum = 0;
        for (int n = 1; n <= ports.size(); n++) {
            sum += statusOf(n, variable);
        }
        return sum;
    }

    /** Stops every node and removes the cluster's directory. */
    @Override
    public synchronized void close() {
        try {
            require(run(COMMAND, "stop", directory.toString()), "stop");
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopAtExit);
            } catch (IllegalStateException exiting) {
                // the hook runs anyway
            }
        }
    }

    private record Result(int exit, String output) {}

    private static Result require(Result result, String what) {
        if (result.exit() != 0) {
            throw new IllegalStateException("cluster.sh " + what + " failed (exit " + result.exit() + "):\n"
                    + result.output());
        }
        return result;
    }

    /** Runs the script, its standard output and error together, for at most {@code timeout}. */
    private static Result run(Duration timeout, String... arguments) {
        List<String> command = new ArrayList<>(List.of(script().toString()));
        command.addAll(List.of(arguments));
        try {
            Path output = Files.createTempFile("capacity-galera-", ".log");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).start();
                if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    return new Result(-1, "cluster.sh " + String.join(" ", arguments) + " did not end in "
                            + timeout.toSeconds() + " s:\n" + Files.readString(output, StandardCharsets.UTF_8));
                }
                return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            return new Result(-1, "could not run " + command + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted while running " + command);
        }
    }

    /** {@code stress-tests/galera/cluster.sh}, from the module's directory (Maven's) or the project's. */
    private static Path script() {
        Path here = Path.of(System.getProperty("user.dir"));
        for (Path candidate : List.of(here.resolve("galera/cluster.sh"), here.resolve("stress-tests/galera/cluster.sh"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        return here.resolve("galera/cluster.sh").toAbsolutePath();
    }
}
