package dev.capacity.stress;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * Fixtures of the kit's tests: test classes that run only when a test runs them through JUnit's
 * engine test kit ({@link #run}), never on their own in the build.
 */
final class OnlyThroughTheTestKit implements ExecutionCondition {

    private static final String FIXTURES = "capacity.kit.fixtures";

    /** Runs the fixture class {@code fixture} through the Jupiter engine. */
    static EngineExecutionResults run(Class<?> fixture) {
        return EngineTestKit.engine("junit-jupiter").configurationParameter(FIXTURES, "true")
                .selectors(selectClass(fixture)).execute();
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return context.getConfigurationParameter(FIXTURES).isPresent()
                ? ConditionEvaluationResult.enabled("run through the engine test kit")
                : ConditionEvaluationResult.disabled("a fixture, run only through the engine test kit");
    }
}
