package dev.capacity.stress;

import dev.capacity.InMemoryStrategy;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.support.AnnotationConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

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
        List<Supplier<Opened>> openers = new ArrayList<>();
        for (KitDatabase database : databases) {
            for (StrategyKind kind : StrategyKind.values()) {
                if (kind != StrategyKind.IN_MEMORY) {
                    openers.add(() -> openOnDatabase(database, kind, context));
                }
            }
        }
        openers.add(() -> new Opened("memory/" + StrategyKind.IN_MEMORY.strategyName(), new InMemoryStrategy(), null));
        return openers.stream().map(opener -> {
            Opened opened = invocations.add(opener.get());
            return Arguments.of(Named.of(opened.displayName, opened.strategy));
        });
    }

    private static Opened openOnDatabase(KitDatabase database, StrategyKind kind, ExtensionContext context) {
        KitDatabase.FreshSchema schema = database.open(context);
        try {
            CapacitySchema.install(schema.pool().jdbi());
            JdbiReservationStrategy strategy = JdbiStrategies.of(kind, schema.pool().jdbi());
            return new Opened(database.attributeValue() + "/" + kind.strategyName(), strategy, schema);
        } catch (RuntimeException e) {
            try {
                schema.drop().close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** One invocation's strategy, with the pool and schema it runs on (none for in-memory). */
    static final class Opened implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        final String displayName;
        final ReservationStrategy strategy;
        private final KitDatabase.FreshSchema schema;
        private boolean closed;

        Opened(String displayName, ReservationStrategy strategy, KitDatabase.FreshSchema schema) {
            this.displayName = displayName;
            this.strategy = strategy;
            this.schema = schema;
        }

        /** Closes the strategy (a combining one fails its waiting requests), then its pool and schema. Idempotent. */
        @Override
        public synchronized void close() throws Exception {
            if (closed) {
                return;
            }
            closed = true;
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
