package org.phoenixcast.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

class RequiresRootConditionTest {

    @Test
    void enablesWhenNothingIsUnmet() {
        assertThat(RequiresRootCondition.decide(List.of(), Map.of("CI", "true")).isDisabled()).isFalse();
    }

    @Test
    void skipsWithTheReasonOutsideCi() {
        ConditionEvaluationResult r = RequiresRootCondition.decide(List.of("root (effective uid is 1000)"), Map.of());
        assertThat(r.isDisabled()).isTrue();
        assertThat(r.getReason()).hasValueSatisfying(s -> assertThat(s).contains("effective uid is 1000"));
    }

    @Test
    void failsInsteadOfSkippingUnderCi() {
        assertThatThrownBy(() -> RequiresRootCondition.decide(List.of("'nsenter' on PATH"), Map.of("CI", "true")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'nsenter' on PATH")
                .hasMessageContaining("CI=true");
    }

    @Test
    void reportsAMissingTool() {
        assertThat(RequiresRootCondition.unmet("no-such-tool-phoenix-cast")).contains("'no-such-tool-phoenix-cast' on PATH");
    }

    @Test
    void findsAToolOnPath() {
        assertThat(RequiresRootCondition.onPath("sh")).isTrue();
    }
}
