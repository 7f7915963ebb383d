package org.phoenixcast.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RequiresRootTest {

    @Test
    void runsAsRoot() {
        assertThat(RequiresRoot.Condition.decide(true, "true").isDisabled()).isFalse();
        assertThat(RequiresRoot.Condition.decide(true, null).isDisabled()).isFalse();
    }

    @Test
    void skipsWithReasonOutsideCi() {
        var result = RequiresRoot.Condition.decide(false, null);
        assertThat(result.isDisabled()).isTrue();
        assertThat(result.getReason()).hasValueSatisfying(r -> assertThat(r).contains("needs root"));
        assertThat(RequiresRoot.Condition.decide(false, "false").isDisabled()).isTrue();
    }

    @Test
    void failsInsteadOfSkippingUnderCi() {
        assertThatThrownBy(() -> RequiresRoot.Condition.decide(false, "true"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("CI=true");
    }
}
