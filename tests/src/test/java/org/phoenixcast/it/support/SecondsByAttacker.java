package org.phoenixcast.it.support;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;

/**
 * Tests and seconds per attacker kind, for a class whose (parameterized) display names start
 * with the attacker's kind ("sandbox: …", "runc-userns …"): each test's time, from before its
 * {@code @BeforeEach} methods to after its {@code @AfterEach} methods, is added under the first
 * word of its display name (up to a space or ':'). After the class (after its {@code @AfterAll}
 * methods) one line per kind, in the order the kinds first ran:
 * {@code "<TestClass>: <kind>: <n> tests in <s> s"}. Use with {@code @ExtendWith}; the state
 * lives in the class's extension context store, so classes never share it.
 */
public final class SecondsByAttacker implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    private static final Namespace NAMESPACE = Namespace.create(SecondsByAttacker.class);
    private static final String TOTALS = "tests and seconds by attacker";
    private static final String START = "test start";

    @Override
    public void beforeAll(ExtensionContext classContext) {
        classContext.getStore(NAMESPACE).put(TOTALS, new LinkedHashMap<String, double[]>());
    }

    @Override
    public void beforeEach(ExtensionContext testContext) {
        testContext.getStore(NAMESPACE).put(START, Instant.now());
    }

    @Override
    public void afterEach(ExtensionContext testContext) {
        Instant start = testContext.getStore(NAMESPACE).get(START, Instant.class);
        double[] t = totals(testContext).computeIfAbsent(testContext.getDisplayName().split("[ :]")[0], k -> new double[2]);
        t[0]++;
        t[1] += Duration.between(start, Instant.now()).toMillis() / 1000.0;
    }

    @Override
    public void afterAll(ExtensionContext classContext) {
        String testClass = classContext.getRequiredTestClass().getSimpleName();
        totals(classContext).forEach((kind, t) -> System.out.printf("%s: %s: %d tests in %.1f s%n", testClass, kind,
                (int) t[0], t[1]));
    }

    /** The class's totals (a test's store finds them in its class's store, an ancestor). */
    @SuppressWarnings("unchecked")
    private static Map<String, double[]> totals(ExtensionContext context) {
        return context.getStore(NAMESPACE).get(TOTALS, Map.class);
    }
}
