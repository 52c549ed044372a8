package dev.capacity.stress.jcstress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.infra.runners.TestList;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A naive control proves what its test can see only while the two stay the same test on different
 * strategies. jcstress reads outcomes and actors from each class's own annotations, so they are
 * written twice; this keeps the copies from drifting apart.
 */
final class NegativeControlsTest {

    @Test
    void everyHoldTest_hasANaiveControl_withItsOutcomesAndActors() {
        Map<String, Class<?>> tests = TestList.tests().stream()
                .map(NegativeControlsTest::load)
                .collect(Collectors.toMap(NegativeControlsTest::caseName, Function.identity()));
        List<Class<?>> holdTests = tests.values().stream()
                .filter(test -> test.getSimpleName().startsWith("InMemory_") && usesHoldRace(test))
                .toList();

        assertThat(holdTests).isNotEmpty();
        for (Class<?> test : holdTests) {
            Class<?> control = tests.get("Naive" + caseName(test));
            assertThat(control).as("the naive control of %s", test.getSimpleName()).isNotNull();
            assertThat(control.getSimpleName()).startsWith("NegativeControl_");
            assertThat(outcomes(control)).as(control.getSimpleName()).isEqualTo(outcomes(test));
            assertThat(roles(control)).as(control.getSimpleName()).isEqualTo(roles(test));
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new AssertionError("jcstress lists " + name + ", which is not on the class path", e);
        }
    }

    /** {@code InMemory_08_ConfirmRacingExpiry} -> {@code ConfirmRacingExpiry}. */
    private static String caseName(Class<?> test) {
        String name = test.getSimpleName();
        return name.substring(name.indexOf('_', name.indexOf('_') + 1) + 1);
    }

    private static boolean usesHoldRace(Class<?> test) {
        return Arrays.stream(test.getDeclaredFields()).anyMatch(field -> field.getType() == HoldRace.class);
    }

    private static List<String> outcomes(Class<?> test) {
        return Arrays.stream(test.getAnnotationsByType(Outcome.class))
                .map(o -> Arrays.toString(o.id()) + " " + o.expect() + " " + o.desc())
                .toList();
    }

    private static List<String> roles(Class<?> test) {
        return Arrays.stream(test.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Actor.class) || m.isAnnotationPresent(Arbiter.class))
                .map(Method::getName)
                .sorted()
                .toList();
    }
}
