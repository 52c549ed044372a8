package dev.capacity.stress;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.support.AnnotationConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

import javax.sql.DataSource;

/**
 * The arguments of {@link AllStrategies}: one strategy per database and kind, each opened on a
 * fresh schema only when JUnit asks for it, just before its invocation.
 *
 * <p>Closing. Each strategy, with its pool and schema, is an {@link Opened} in the store of the
 * parameterized test (the template), which closes what is left when the template ends;
 * {@link StrategyCloser} moves each one to the store of the invocation that received it, so it is
 * closed as soon as that invocation ends, also when invocations run in parallel.
 */
final class StrategyArguments implements ArgumentsProvider, AnnotationConsumer<AllStrategies> {

    static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(AllStrategies.class);

    private static final Logger LOG = LoggerFactory.getLogger(StrategyArguments.class);

    private AllStrategies annotation;

    @Override
    public void accept(AllStrategies annotation) {
        this.annotation = annotation;
    }

    /** Checks the databases here, not in {@link #accept}: JUnit would bury the message in a JUnitException. */
    @Override
    public Stream<? extends Arguments> provideArguments(ExtensionContext context) {
        List<KitDatabase> databases = KitDatabase.parse(annotation.databases());
        ClassLoader loader = context.getRequiredTestClass().getClassLoader();
        databases.forEach(database -> database.requireLibraries(loader));
        Invocations invocations = context.getStore(NAMESPACE)
                .getOrComputeIfAbsent(Invocations.class, key -> new Invocations(), Invocations.class);
        Class<?> database = databaseParameter(context.getRequiredTestMethod());
        List<Supplier<Opened>> openers = new ArrayList<>();
        for (KitDatabase kitDatabase : databases) {
            for (StrategyKind kind : StrategyKind.values()) {
                if (kind != StrategyKind.IN_MEMORY) {
                    openers.add(() -> openOnDatabase(kitDatabase, kind, context));
                }
            }
        }
        // the in-memory strategy has no tables; a test that asks for a database gets a fresh H2 one for its own tables
        openers.add(() -> new Opened("memory/" + StrategyKind.IN_MEMORY.strategyName(), new InMemoryStrategy(),
                database == null ? null : KitDatabase.H2.open(context), false));
        return openers.stream().map(opener -> {
            Opened opened = invocations.add(opener.get());
            Named<ReservationStrategy> strategy = Named.of(opened.displayName, opened.strategy);
            if (database == null) {
                return Arguments.of(strategy);
            }
            return Arguments.of(strategy, database == Jdbi.class ? opened.schema.pool().jdbi()
                    : opened.schema.pool().dataSource());
        });
    }

    /**
     * The type of the test's second parameter if it asks for the database the strategy runs on
     * ({@link Jdbi} or {@link DataSource}); null if it does not.
     */
    private static Class<?> databaseParameter(Method test) {
        Class<?>[] types = test.getParameterTypes();
        if (types.length < 2 || (types[1] != Jdbi.class && types[1] != DataSource.class)) {
            return null;
        }
        return types[1];
    }

    private static Opened openOnDatabase(KitDatabase database, StrategyKind kind, ExtensionContext context) {
        KitDatabase.FreshSchema schema = database.open(context);
        try {
            CapacitySchema.install(schema.pool().jdbi());
            JdbiReservationStrategy strategy = JdbiStrategies.of(kind, schema.pool().jdbi());
            return new Opened(database.attributeValue() + "/" + kind.strategyName(), strategy, schema, true);
        } catch (RuntimeException e) {
            try {
                schema.drop().close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * One invocation's strategy, with the pool and schema it runs on; for in-memory, the schema of
     * the test's own tables if it asked for a database, or none. While open, {@link #of} finds it
     * by its strategy, for {@link Race}.
     */
    static final class Opened implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        private static final Map<ReservationStrategy, Opened> OPEN = Collections.synchronizedMap(new IdentityHashMap<>());

        final String displayName;
        final ReservationStrategy strategy;
        private final KitDatabase.FreshSchema schema;
        private final boolean strategyOnSchema;
        private boolean closed;

        Opened(String displayName, ReservationStrategy strategy, KitDatabase.FreshSchema schema, boolean strategyOnSchema) {
            this.displayName = displayName;
            this.strategy = strategy;
            this.schema = schema;
            this.strategyOnSchema = strategyOnSchema;
            OPEN.put(strategy, this);
        }

        /** The open invocation strategy {@code strategy} is, if it is one. */
        static Optional<Opened> of(ReservationStrategy strategy) {
            return Optional.ofNullable(OPEN.get(strategy));
        }

        /** The database whose tables the strategy keeps its reservations in; empty for in-memory. */
        Optional<Jdbi> strategyTables() {
            return strategyOnSchema ? Optional.of(schema.pool().jdbi()) : Optional.empty();
        }

        /** Closes the strategy (a combining one fails its waiting requests), then its pool and schema. Idempotent. */
        @Override
        public synchronized void close() throws Exception {
            if (closed) {
                return;
            }
            closed = true;
            OPEN.remove(strategy);
            LOG.debug("closing {}", displayName);
            try {
                if (strategy instanceof AutoCloseable closeable) {
                    closeable.close();
                }
            } finally {
                if (schema != null) {
                    schema.drop().close();
                }
            }
        }
    }

    /** The strategies of one parameterized test not yet claimed by their invocation. This class is threadsafe. */
    static final class Invocations implements ExtensionContext.Store.CloseableResource {
        private final Map<ReservationStrategy, Opened> unclaimed = Collections.synchronizedMap(new IdentityHashMap<>());

        Opened add(Opened opened) {
            unclaimed.put(opened.strategy, opened);
            return opened;
        }

        /** The strategy's {@link Opened}, now the caller's to close, or null if it is not one of these. */
        Opened claim(Object strategy) {
            return unclaimed.remove(strategy);
        }

        @Override
        public void close() throws Exception {
            List<Opened> left;
            synchronized (unclaimed) {
                left = new ArrayList<>(unclaimed.values());
                unclaimed.clear();
            }
            Exception failure = null;
            for (Opened opened : left) {
                try {
                    opened.close();
                } catch (Exception e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }
}
