package org.phoenixcast.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SourceRefTest {

    static Stream<Arguments> sources() {
        return Stream.of(
                // valid: input, owner, path
                Arguments.of("104:/var/tmp", "104", "/var/tmp", null),
                Arguments.of("host:/usr/portage", "host", "/usr/portage", null),
                Arguments.of("web1:/", "web1", "/", null),
                Arguments.of("a:/b:c", "a", "/b:c", null),
                Arguments.of("lxc:web:/srv/data", "lxc:web", "/srv/data", null),
                Arguments.of("docker:104:/b:/c", "docker:104", "/b:/c", null),
                Arguments.of("lxc:web:srv", null, null, "invalid path 'srv': not absolute"),
                Arguments.of("web:web:/a", null, null, "invalid container name 'web:web': unknown runtime 'web'"),
                // invalid: input, -, -, the message's start
                Arguments.of("104", null, null, "invalid source '104': expected OWNER:/PATH"),
                Arguments.of("/var/tmp", null, null, "invalid source '/var/tmp': expected OWNER:/PATH"),
                Arguments.of(":/var/tmp", null, null, "invalid source ':/var/tmp': expected OWNER:/PATH"),
                Arguments.of("", null, null, "invalid source '': expected OWNER:/PATH"),
                Arguments.of("104:", null, null, "invalid path '': empty"),
                Arguments.of("104:var/tmp", null, null, "invalid path 'var/tmp': not absolute"),
                Arguments.of("104:/a/../b", null, null, "invalid path '/a/../b': contains '..'"),
                Arguments.of("104://a", null, null, "invalid path '//a': contains '//'"),
                Arguments.of("104:/a/", null, null, "invalid path '/a/': ends with '/'"),
                Arguments.of("104:/a/.", null, null, "invalid path '/a/.': contains '.'"),
                Arguments.of("104:/a\0", null, null, "invalid path '/a\\x00': contains a control character"),
                Arguments.of("104:/a\uFFFD", null, null, "invalid path '/a\uFFFD': not valid UTF-8"),
                Arguments.of("104:/" + "a/".repeat(1000) + "a", null, null, "invalid path '/a/a/"),
                Arguments.of("-x:/a", null, null, "invalid container name '-x'"),
                Arguments.of("a b:/a", null, null, "invalid container name 'a b'"),
                Arguments.of("*:/a", null, null, "invalid container name '*'"));
    }

    @ParameterizedTest
    @MethodSource("sources")
    void parsesOwnerColonAbsolutePath(String input, String owner, String path, String message) {
        if (message == null) {
            SourceRef ref = SourceRef.parse(input);
            assertThat(ref.owner().name()).isEqualTo(owner);
            assertThat(ref.path().value()).isEqualTo(path);
            assertThat(ref.toString()).isEqualTo(input);
            assertThat(SourceRef.parse(ref.toString())).isEqualTo(ref);
        } else {
            assertThatThrownBy(() -> SourceRef.parse(input))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(message);
        }
    }

    @org.junit.jupiter.api.Test
    void refusesNullNamingTheMissingInput() {
        assertThatThrownBy(() -> SourceRef.parse(null)).hasMessageStartingWith("invalid source (none)");
    }
}
