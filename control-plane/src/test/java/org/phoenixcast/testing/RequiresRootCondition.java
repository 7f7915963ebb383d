package org.phoenixcast.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Evaluates {@link RequiresRoot}: skip with a reason locally, fail under {@code CI=true}. */
public final class RequiresRootCondition implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<RequiresRoot> annotation = context.getElement()
                .flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresRoot.class));
        if (annotation.isEmpty()) return ConditionEvaluationResult.enabled("no @RequiresRoot here");
        return decide(unmet(annotation.get().tools()), System.getenv());
    }

    /**
     * @return enabled if nothing is unmet, disabled with the reasons otherwise
     * @throws IllegalStateException if something is unmet and {@code CI=true}
     */
    static ConditionEvaluationResult decide(List<String> unmet, Map<String, String> env) {
        if (unmet.isEmpty()) return ConditionEvaluationResult.enabled("running as root with the tools it needs");
        String reason = "privileged test needs " + String.join(", ", unmet);
        if ("true".equalsIgnoreCase(env.get("CI"))) {
            throw new IllegalStateException(reason + "; CI=true, so this fails instead of skipping");
        }
        return ConditionEvaluationResult.disabled(reason);
    }

    static List<String> unmet(String... tools) {
        List<String> unmet = new ArrayList<>();
        OptionalEuid euid = effectiveUid();
        if (euid.uid == null) unmet.add("Linux /proc/self/status (" + euid.problem + ")");
        else if (euid.uid != 0) unmet.add("root (effective uid is " + euid.uid + ")");
        for (String tool : tools) {
            if (!onPath(tool)) unmet.add("'" + tool + "' on PATH");
        }
        return unmet;
    }

    private record OptionalEuid(Integer uid, String problem) {}

    private static OptionalEuid effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return new OptionalEuid(Integer.valueOf(line.substring(4).trim().split("\\s+")[1]), null);
                }
            }
            return new OptionalEuid(null, "no Uid line");
        } catch (IOException | RuntimeException e) {
            return new OptionalEuid(null, e.toString());
        }
    }

    static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return true;
        }
        return false;
    }
}
