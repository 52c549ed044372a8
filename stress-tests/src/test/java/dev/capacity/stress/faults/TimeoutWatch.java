package dev.capacity.stress.faults;

import dev.capacity.jdbc.testing.DelegatingDataSource;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import javax.sql.DataSource;

/**
 * A data source that counts the timeouts the database reports to the library under
 * {@link Fault#TIMEOUTS}: every {@link SQLException} a connection or a statement of it throws
 * (a COMMIT's included) is passed on unchanged, and counted if the target calls it a timeout. So
 * the suite can show that the timeouts really happened, and of which kind, on each database.
 * Everything goes to the real database.
 *
 * <p>This class is threadsafe.
 */
final class TimeoutWatch extends DelegatingDataSource {

    private final Function<SQLException, String> timeout;
    private final Map<String, LongAdder> byKind = new ConcurrentHashMap<>();

    /** Watches {@code delegate}'s connections; {@code timeout} names a failure's kind of timeout, or null if it is none. */
    TimeoutWatch(DataSource delegate, Function<SQLException, String> timeout) {
        super(delegate);
        this.timeout = timeout;
    }

    /** Timeouts so far. */
    long timeouts() {
        return byKind.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Timeouts so far by kind. */
    Map<String, Long> byKind() {
        Map<String, Long> counts = new TreeMap<>();
        byKind.forEach((kind, n) -> counts.put(kind, n.sum()));
        return counts;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return watch(realConnection(), Connection.class);
    }

    /** {@code target} as {@code type}, counting the timeouts its calls throw, and watching the statements it makes. */
    private <T> T watch(T target, Class<T> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof SQLException failure) {
                    count(failure);
                }
                throw e.getCause();
            }
            if (result instanceof CallableStatement s && method.getReturnType() == CallableStatement.class) {
                return watch(s, CallableStatement.class);
            }
            if (result instanceof PreparedStatement s && method.getReturnType() == PreparedStatement.class) {
                return watch(s, PreparedStatement.class);
            }
            if (result instanceof Statement s && method.getReturnType() == Statement.class) {
                return watch(s, Statement.class);
            }
            return result;
        }));
    }

    private void count(SQLException failure) {
        for (SQLException e = failure; e != null; e = e.getNextException()) {
            String kind = timeout.apply(e);
            if (kind != null) {
                byKind.computeIfAbsent(kind, k -> new LongAdder()).increment();
                return;
            }
        }
    }
}
