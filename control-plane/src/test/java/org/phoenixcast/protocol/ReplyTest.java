package org.phoenixcast.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReplyTest {

    static Stream<Arguments> replies() {
        return Stream.of(
                Arguments.of(Reply.ok(List.of()), "ok\n"),
                Arguments.of(Reply.ok(List.of("104:/var/tmp /var/tmp rw", "host:/usr/portage /usr/portage ro")),
                        "ok\n104:/var/tmp /var/tmp rw\nhost:/usr/portage /usr/portage ro\n"),
                Arguments.of(Reply.ok(List.of("")), "ok\n\n"),
                Arguments.of(Reply.error("you have not offered /srv"), "error: you have not offered /srv\n"),
                Arguments.of(Reply.error("bad\nok"), "error: bad ok\n"),
                Arguments.of(Reply.error("bad\r\nok\n"), "error: bad  ok \n"),
                Arguments.of(Reply.ok(List.of("line\nerror: forged")), "ok\nline error: forged\n"),
                Arguments.of(Reply.ok(List.of("a\rok")), "ok\na ok\n"),
                Arguments.of(new Reply(false, "direct\nok", List.of()), "error: direct ok\n"),
                Arguments.of(new Reply(true, "", List.of("x\n\nok")), "ok\nx  ok\n"));
    }

    @ParameterizedTest
    @MethodSource("replies")
    void rendersStatusThenOutputOneLineEach(Reply reply, String rendered) {
        assertThat(reply.render()).isEqualTo(rendered);
    }

    @ParameterizedTest
    @MethodSource("replies")
    void aMessageCanNeverForgeAStatusLine(Reply reply, String ignored) {
        List<String> lines = reply.render().lines().toList();
        assertThat(lines.get(0)).matches(reply.ok() ? "ok" : "error: .*");
        assertThat(lines).hasSize(1 + reply.output().size());
    }
}
