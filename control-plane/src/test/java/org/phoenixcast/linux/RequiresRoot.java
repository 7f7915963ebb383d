package org.phoenixcast.linux;

import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a privileged test only as root (uid 0). Elsewhere it is skipped with the reason, except
 * under CI=true, where a skip would hide a missing test run: there the condition fails.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresRoot.Condition.class)
public @interface RequiresRoot {

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return decide(isRoot(), System.getenv("CI"));
        }

        static ConditionEvaluationResult decide(boolean root, String ciVariable) {
            if (root) return ConditionEvaluationResult.enabled("running as root");
            String reason = "needs root (uid 0) for namespaces and mounts";
            if ("true".equalsIgnoreCase(ciVariable)) {
                throw new IllegalStateException(reason + ", and CI=true forbids skipping privileged tests");
            }
            return ConditionEvaluationResult.disabled(reason);
        }

        static boolean isRoot() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("Uid:")) return line.split("\\s+")[2].equals("0"); // effective uid
                }
            } catch (IOException e) {
                return false;
            }
            return false;
        }
    }
}
