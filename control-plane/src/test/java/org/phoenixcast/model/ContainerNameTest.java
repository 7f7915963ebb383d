package org.phoenixcast.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ContainerNameTest {

    static Stream<Arguments> names() {
        return Stream.of(
                Arguments.of("104", true),
                Arguments.of("web1", true),
                Arguments.of("a", true),
                Arguments.of("A.b-c_d", true),
                Arguments.of("Host", true),
                Arguments.of("hosts", true),
                Arguments.of("x".repeat(64), true),
                Arguments.of("", false),
                Arguments.of("x".repeat(65), false),
                Arguments.of("-a", false),
                Arguments.of(".a", false),
                Arguments.of("_a", false),
                Arguments.of("..", false),
                Arguments.of("a b", false),
                Arguments.of("a/b", false),
                Arguments.of("a*", false),
                Arguments.of("*", false),
                Arguments.of("a\0", false),
                Arguments.of("a\n", false),
                Arguments.of("caf\u00e9", false),
                Arguments.of(new String(new byte[] {'a', (byte) 0xff}, StandardCharsets.UTF_8), false));
    }

    @Test
    void acceptsARuntimeQualifiedFormWhereTwoRuntimesShareAName() {
        ContainerName n = ContainerName.parse("docker:web");
        assertThat(n.runtime()).contains("docker");
        assertThat(n.bareName()).isEqualTo("web");
        assertThat(ContainerName.parse("web").runtime()).isEmpty();
        assertThat(ContainerName.parse("lxc:host").bareName()).as("qualified, 'host' is a runtime's name").isEqualTo("host");
        assertThat(ContainerName.isValidBare("lxc:web")).isFalse();
        assertThatThrownBy(() -> ContainerName.parse("a:b")).hasMessageStartingWith("invalid container name 'a:b': unknown runtime 'a'");
        assertThatThrownBy(() -> ContainerName.parse("lxc:")).hasMessageStartingWith("invalid container name 'lxc:': use 1-64");
        assertThatThrownBy(() -> ContainerName.parse("lxc:docker:web")).hasMessageStartingWith("invalid container name");
    }

    @ParameterizedTest
    @MethodSource("names")
    void acceptsOnlyPortableNames(String input, boolean valid) {
        assertThat(ContainerName.isValid(input)).isEqualTo(valid);
        if (valid) {
            assertThat(ContainerName.parse(input).value()).isEqualTo(input);
        } else {
            assertThatThrownBy(() -> ContainerName.parse(input))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid container name " + Printable.quote(input) + ": use 1-64");
        }
    }

    @Test
    void refusesHostAsAContainerNameBecauseItIsReserved() {
        assertThat(ContainerName.isValid("host")).isFalse();
        assertThatThrownBy(() -> ContainerName.parse("host"))
                .hasMessage("invalid container name 'host': reserved for the host");
    }

    @Test
    void refusesNull() {
        assertThat(ContainerName.isValid(null)).isFalse();
        assertThatThrownBy(() -> ContainerName.parse(null)).hasMessageStartingWith("invalid container name (none)");
    }

    @Test
    void ownerParsesHostAsTheHostAndAnythingElseAsAContainer() {
        assertThat(Owner.parse("host")).isEqualTo(Owner.HOST);
        assertThat(Owner.parse("104")).isEqualTo(new Owner.Guest(new ContainerName("104")));
        assertThat(Owner.parse("104").name()).isEqualTo("104");
        assertThat(Owner.HOST.name()).isEqualTo("host");
        assertThatThrownBy(() -> Owner.parse("-x")).hasMessageStartingWith("invalid container name '-x'");
    }
}
