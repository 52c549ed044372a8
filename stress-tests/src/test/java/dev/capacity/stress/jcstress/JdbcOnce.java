package dev.capacity.stress.jcstress;

import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The database of the JDBC jcstress tests: opened once per JVM (jcstress forks one per test
 * configuration), with the tables installed; each jcstress state defines a fresh resource in it.
 * H2 in memory, or the server whose URL the system property {@value #JDBC_URL} names (the gate
 * runs the JDBC tests a second time on an embedded MariaDB server that way, as root).
 */
final class JdbcOnce {

    /** The system property naming the database's JDBC URL; H2 in memory when it is not set. */
    static final String JDBC_URL = "capacity.jcstress.jdbcUrl";

    private static final CapacityPool POOL = open(System.getProperty(JDBC_URL));
    private static final Map<StrategyKind, ReservationStrategy> STRATEGIES = new EnumMap<>(StrategyKind.class);
    private static final AtomicLong IDS = new AtomicLong();
    /** This JVM's part of every id: the forks of one run share a MariaDB server, and must not share resources or keys. */
    private static final String JVM = ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime());

    static {
        CapacitySchema.install(POOL.jdbi());
        for (StrategyKind kind : StrategyKind.values()) {
            if (kind != StrategyKind.IN_MEMORY) {
                STRATEGIES.put(kind, JdbiStrategies.of(kind, POOL.jdbi()));
            }
        }
    }

    private JdbcOnce() {}

    private static CapacityPool open(String jdbcUrl) {
        return jdbcUrl == null ? CapacityPool.open("jdbc:h2:mem:jcstress;DB_CLOSE_DELAY=-1", "sa", "", 8)
                : CapacityPool.open(jdbcUrl, "root", "", 8);
    }

    static ReservationStrategy strategy(StrategyKind kind) {
        return STRATEGIES.get(kind);
    }

    /** A resource no other state uses, in this JVM or another. */
    static String newResource(ReservationStrategy strategy, long capacity) {
        String id = "run-" + JVM + "-" + IDS.incrementAndGet();
        strategy.define(id, capacity);
        return id;
    }

    static String newKey() {
        return "key-" + JVM + "-" + IDS.incrementAndGet();
    }

    static org.jdbi.v3.core.Jdbi jdbi() {
        return POOL.jdbi();
    }
}
