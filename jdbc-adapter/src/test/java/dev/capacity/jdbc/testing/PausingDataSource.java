package dev.capacity.jdbc.testing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * A real data source whose connections let {@link Pause}s stop their threads before a statement or
 * a COMMIT, and that keeps the text of every statement prepared on it.
 */
public final class PausingDataSource extends DelegatingDataSource {
    private static final String COMMIT = "COMMIT";

    private final List<Pause> pauses = new CopyOnWriteArrayList<>();
    private final List<String> prepared = new CopyOnWriteArrayList<>();

    public PausingDataSource(DataSource delegate) {
        super(delegate);
    }

    /** A pause of the next call started with it, before the first statement that {@code sql} accepts. */
    public Pause pause(Predicate<String> sql) {
        Pause pause = new Pause(sql);
        pauses.add(pause);
        return pause;
    }

    /** A pause of the next call started with it, before its first COMMIT. */
    public Pause pauseAtCommit() {
        return pause(COMMIT::equals);
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection connection = realConnection();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().startsWith("prepare") && args != null && args[0] instanceof String sql) {
                        prepared.add(sql);
                        for (Pause pause : pauses) {
                            pause.before(sql);
                        }
                    } else if (method.getName().equals("commit")) {
                        for (Pause pause : pauses) {
                            pause.before(COMMIT);
                        }
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The statements prepared since the last call, in order, and forgets them. */
    public List<String> takeStatements() {
        List<String> taken = List.copyOf(prepared);
        prepared.clear();
        return taken;
    }

    /** The database's pool (its tables installed), with pauses. */
    public static PausingDataSource of(TestDatabase database) {
        database.jdbi();
        return new PausingDataSource(database.pool().dataSource());
    }
}
