package dev.capacity.jdbc.testing;

import static dev.capacity.testing.ResourceIds.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyOptions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.commons.support.AnnotationSupport;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The ledger check fails where a ledger does not add up, on tables of any prefix, and only there;
 * it passes over exactly the resources a test breaks on purpose; and every test class of the
 * adapter runs it.
 */
@ExtendWith(LedgersAddUp.class)
final class LedgersAddUpTest {

    private static final String PREFIX = "ledgers_";

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.onDatabases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void verify_ledgersBrokenBySql_failsNamingEachWithItsLedger(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy(options());
        String clean = reservedTwice(strategy);
        String broken = brokenResource(fixture, strategy);
        String alsoBroken = brokenResource(fixture, strategy);

        assertThatThrownBy(LedgersAddUp::verify).isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("2 ledger(s) do not add up")
                .hasMessageContaining("'" + broken + "' in ledgers_* @ " + fixture.database() + ": " + ledger(fixture, broken))
                .hasMessageContaining("'" + alsoBroken + "' in ledgers_* @ " + fixture.database() + ": "
                        + ledger(fixture, alsoBroken))
                .message().doesNotContain(clean);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void verify_ledgersThatAddUp_passes(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy(options());
        String run = reservedTwice(strategy);
        strategy.reserve(ReservationRequest.of(newId("missing"), "h"));
        strategy.release(strategy.reserve(ReservationRequest.of(run, "h").withQuantity(2)).reservation().id());

        assertThatCode(LedgersAddUp::verify).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void verify_resourceBrokenOnPurpose_isPassedOverAndNoOtherIs(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy(options());
        String excused = brokenResource(fixture, strategy);
        String broken = brokenResource(fixture, strategy);

        LedgersAddUp.brokenOnPurpose(excused);

        assertThatThrownBy(LedgersAddUp::verify).hasMessageStartingWith("1 ledger(s)").hasMessageContaining(broken)
                .message().doesNotContain(excused);
    }

    @Test
    void afterEach_resourceBrokenOnPurpose_letsTheTestPass() {
        StrategyFixture fixture = fixtures().findFirst().orElseThrow();
        String run = brokenResource(fixture, fixture.strategy(options()));

        LedgersAddUp.brokenOnPurpose(run);
    }

    @Test
    void everyTestClassOfTheAdapter_checksLedgers() throws IOException, URISyntaxException {
        Path root = Path.of(LedgersAddUpTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> testClasses;
        try (Stream<Path> files = Files.walk(root.resolve("dev/capacity/jdbc"))) {
            testClasses = files.map(file -> root.relativize(file).toString())
                    .filter(name -> name.endsWith("Test.class") && !name.contains("$"))
                    .map(LedgersAddUpTest::load)
                    .filter(testClass -> !WITHOUT_DATABASE.contains(testClass.getName()))
                    .toList();
        }

        assertThat(testClasses).extracting(Class::getSimpleName).contains("ReservationContractTest", "LedgersAddUpTest");
        assertThat(testClasses).allSatisfy(testClass -> assertThat(
                AnnotationSupport.findRepeatableAnnotations(testClass, ExtendWith.class).stream()
                        .flatMap(extendWith -> Arrays.stream(extendWith.value())))
                .as("@ExtendWith of %s", testClass.getName()).contains(LedgersAddUp.class));
    }

    /** Test classes that touch no database, so have no ledger to check. */
    private static final Set<String> WITHOUT_DATABASE = Set.of("dev.capacity.jdbc.RequestCombinerTest",
            "dev.capacity.jdbc.SqlErrorsTest", "dev.capacity.jdbc.testing.RaceTest");

    private static StrategyOptions options() {
        return StrategyOptions.builder().tablePrefix(PREFIX).build();
    }

    /** A new resource of capacity 5 with two reservations of 1 and 2 units. */
    private static String reservedTwice(ReservationStrategy strategy) {
        String run = newId("run");
        strategy.define(run, 5);
        strategy.reserve(ReservationRequest.of(run, "a"));
        strategy.reserve(ReservationRequest.of(run, "b").withQuantity(2));
        return run;
    }

    /**
     * A new resource whose reservations are marked released behind the strategy's back: its
     * counter and slots still count them.
     */
    private static String brokenResource(StrategyFixture fixture, ReservationStrategy strategy) {
        String run = reservedTwice(strategy);
        fixture.database().jdbi(PREFIX).useHandle(h -> h.execute(
                "UPDATE " + PREFIX + "reservation SET released_at = CURRENT_TIMESTAMP WHERE resource_id = ?", run));
        assertThat(ledger(fixture, run).addsUp()).isFalse();
        return run;
    }

    private static Ledger ledger(StrategyFixture fixture, String resourceId) {
        return Ledger.read(fixture.database().jdbi(PREFIX), PREFIX, resourceId);
    }

    private static Class<?> load(String classFile) {
        String name = classFile.substring(0, classFile.length() - ".class".length()).replace('/', '.');
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
