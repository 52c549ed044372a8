package dev.capacity.stress;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

import java.lang.reflect.Method;

/**
 * Hands the strategy an invocation of an {@link AllStrategies} test received to that invocation's
 * store, which closes it (with its pool and schema) when the invocation ends. See
 * {@link StrategyArguments} for what closes the strategies no invocation received.
 */
final class StrategyCloser implements InvocationInterceptor {

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                            ExtensionContext extensionContext) throws Throwable {
        StrategyArguments.Invocations invocations = extensionContext.getStore(StrategyArguments.NAMESPACE)
                .get(StrategyArguments.Invocations.class, StrategyArguments.Invocations.class);
        if (invocations != null) {
            for (Object argument : invocationContext.getArguments()) {
                StrategyArguments.Opened opened = invocations.claim(argument);
                if (opened != null) {
                    extensionContext.getStore(StrategyArguments.NAMESPACE).put(opened, opened);
                }
            }
        }
        invocation.proceed();
    }
}
