package org.phoenixcast.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProcessStatTest {

    static Stream<Arguments> stats() {
        return Stream.of(
                // recorded: nspawn's stub init in --as-pid2 mode (comm in parentheses itself)
                Arguments.of(resource("nspawn/proc-stat-stub-init.txt"), "(sd-stubinit)", 'S', 6754, 1148744L),
                // recorded: a privileged LXC container's init, a comm with parentheses, a zombie
                Arguments.of(resource("lxc/proc-stat-init-privileged.txt"), "init", 'S', 17830, 1179711L),
                Arguments.of(resource("lxc/proc-stat-comm-with-parens.txt"), "x) (y", 'S', 22083, 1197654L),
                Arguments.of(resource("lxc/proc-stat-zombie.txt"), "python3", 'Z', 416, 1228827L),
                // a comm that tries to look like more fields
                Arguments.of("42 (a) S 1 2 3) R 7 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 999 1 1 0", "a) S 1 2 3", 'R', 7, 999L),
                Arguments.of("4242 (evil) 1 2 3) S 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10",
                        "evil) 1 2 3", 'S', 1, 987654L),
                Arguments.of("43 (zombie) Z 1 43 43 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5 1 1 0", "zombie", 'Z', 1, 5L));
    }

    @ParameterizedTest
    @MethodSource("stats")
    void readsFieldsAfterTheLastParenthesis(String stat, String comm, char state, int ppid, long start) {
        int pid = Integer.parseInt(stat.substring(0, stat.indexOf(' ')));
        ProcessStat s = ProcessStat.parse(pid, stat);
        assertThat(s).isEqualTo(new ProcessStat(pid, comm, state, ppid, start));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void refusesWhatIsNotAStatLine(String stat) {
        assertThatThrownBy(() -> ProcessStat.parse(1, stat)).isInstanceOf(IllegalArgumentException.class);
    }

    static Stream<String> malformed() {
        return Stream.of("", "1 init S 0", "12 (init", "12 (init) S 1 2 3", "1 (init) S 0 1 1", "1 (init) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0",
                "1 (init) SS 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0");
    }

    @Test
    void zombiesAndDeadProcessesDoNotRun() {
        assertThat(new ProcessStat(2, "x", 'Z', 1, 1).running()).isFalse();
        assertThat(new ProcessStat(2, "x", 'X', 1, 1).running()).isFalse();
        assertThat(new ProcessStat(2, "x", 'S', 1, 1).running()).isTrue();
    }

    @Test
    void readsALiveProcessAndNothingForAMissingOne() throws IOException {
        long self = ProcessHandle.current().pid();
        ProcessStat s = ProcessStat.read((int) self).orElseThrow();
        assertThat(s.pid()).isEqualTo(self);
        assertThat(s.running()).isTrue();
        assertThat(s.startTime()).isPositive();
        assertThat(ProcessStat.read(Integer.MAX_VALUE)).isEmpty();
        assertThat(ProcessStat.read(0)).isEmpty();
    }

    static String resource(String name) {
        try {
            return Files.readString(Path.of(ProcessStatTest.class.getResource("/org/phoenixcast/discovery/" + name).toURI()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
