package org.phoenixcast.discovery.lxc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Parsing of what LXC's tools and /proc printed, against recorded output. */
class LxcOutputTest {

    static Stream<Arguments> recordedLxcInfo() {
        return Stream.of(
                Arguments.of("lxc-info-running-privileged.txt", LxcState.RUNNING, OptionalInt.of(17831)),
                Arguments.of("lxc-info-running-unprivileged.txt", LxcState.RUNNING, OptionalInt.of(17838)),
                Arguments.of("lxc-info-frozen.txt", LxcState.FROZEN, OptionalInt.of(17850)),
                Arguments.of("lxc-info-stopped.txt", LxcState.STOPPED, OptionalInt.empty()));
    }

    @ParameterizedTest
    @MethodSource("recordedLxcInfo")
    void readsStateAndInitPidFromLxcInfo(String file, LxcState state, OptionalInt pid) {
        assertThat(LxcInfo.parse(Recorded.text(file))).isEqualTo(new LxcInfo(state, pid));
    }

    static Stream<Arguments> malformedLxcInfo() {
        return Stream.of(
                Arguments.of("", "no State line"),
                Arguments.of("PID:            17831\n", "no State line"),
                Arguments.of("State:          RUNNNING\n", "unknown state 'RUNNNING'"),
                Arguments.of("State:          RUNNING\nPID:            1\n", "invalid PID 1"),
                Arguments.of("State:          RUNNING\nPID:            0\n", "invalid PID 0"),
                Arguments.of("State:          RUNNING\nPID:            -5\n", "invalid PID '-5'"),
                Arguments.of("State:          RUNNING\nPID:            12a\n", "invalid PID '12a'"),
                Arguments.of("State:          RUNNING\nPID:            99999999999\n", "invalid PID '99999999999'"),
                Arguments.of("State:          RUNNING\nPID:            4294967297\n", "invalid PID 4294967297"),
                Arguments.of("State:          RUNNING\nPID:\n", "invalid PID ''"),
                Arguments.of("17831\n", "unexpected line '17831'"),
                Arguments.of("State:          RUNNING\n\u001b[31mPID 5\n", "unexpected line '\\x1b[31mPID 5'"));
    }

    @ParameterizedTest
    @MethodSource("malformedLxcInfo")
    void refusesLxcInfoOutputItDoesNotUnderstand(String output, String message) {
        assertThatThrownBy(() -> LxcInfo.parse(output)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void ignoresLxcInfoFieldsItDoesNotNeed() {
        assertThat(LxcInfo.parse("State:          RUNNING\nPID:            42\nCPU use:        0.04 seconds\n"))
                .isEqualTo(new LxcInfo(LxcState.RUNNING, OptionalInt.of(42)));
    }

    @ParameterizedTest
    @EnumSource(LxcState.class)
    void reportsOnlyStatesWhoseInitRuns(LxcState state) {
        assertThat(state.initRuns()).isEqualTo(Set.of(LxcState.RUNNING, LxcState.FREEZING, LxcState.FROZEN,
                LxcState.THAWED).contains(state));
    }

    @Test
    void keepsOnlyRunningNamesThatAreContainersInTheLxcpath() {
        String recorded = Recorded.text("lxc-ls-running.txt");
        assertThat(LxcAdapter.runningNames(recorded, Set.of("c1", "u1", "m1", "m2"))).containsExactly("c1", "m1", "u1");
        assertThat(LxcAdapter.runningNames(recorded, Set.of("c1"))).containsExactly("c1");
        assertThat(LxcAdapter.runningNames("c1\nc1\n\nnot-a-dir\n", Set.of("c1"))).containsExactly("c1");
        assertThat(LxcAdapter.runningNames("", Set.of("c1"))).isEmpty();
    }

    @Test
    void allRecordedContainersListOnePerLine() {
        assertThat(Recorded.text("lxc-ls-all.txt").lines()).hasSize(22).contains("c1", "u1", "m20");
    }

    static Stream<Arguments> recordedStatus() {
        return Stream.of(
                Arguments.of("proc-status-init-privileged.txt", true),
                Arguments.of("proc-status-init-unprivileged.txt", true),
                Arguments.of("proc-status-container-child.txt", false),
                Arguments.of("proc-status-lxc-monitor.txt", false),
                Arguments.of("proc-status-host-process.txt", false));
    }

    @ParameterizedTest
    @MethodSource("recordedStatus")
    void acceptsOnlyThePid1OfAPidNamespaceBelowTheHost(String file, boolean init) {
        assertThat(NamespaceInit.isNamespaceInit(Recorded.text(file))).isEqualTo(init);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Name:\tinit\nPid:\t5\n", "NSpid:\t1\n", "NSpid:\t5\t1\t2\n", "NSpid:\n"})
    void refusesStatusWithoutANamespaceInitNSpid(String status) {
        assertThat(NamespaceInit.isNamespaceInit(status)).isFalse();
    }

    @Test
    void acceptsANestedNamespaceInit() {
        assertThat(NamespaceInit.isNamespaceInit("NSpid:\t900\t17\t1\n")).isTrue();
    }

    @Test
    void describesEveryRecordedMonitorLine() {
        List<String> described = Recorded.text("lxc-monitor-stream.txt").lines().map(LxcMonitorStream::describe).toList();
        assertThat(described).hasSize(21).startsWith("container=c1 state='STARTING'", "container=c1 state='RUNNING'")
                .contains("container=m1 exit-status='0'", "container=u1 state='STOPPED'", "container=m1 state='FROZEN'");
        assertThat(LxcMonitorStream.describe("'we\u0007ird' changed state to [RUNNING]"))
                .isEqualTo("container='we\\x07ird' state='RUNNING'");
        assertThat(LxcMonitorStream.describe("lxc-monitor: Failed to connect")).isEqualTo(
                "lxc-monitor: 'lxc-monitor: Failed to connect'");
    }

    static Stream<Arguments> lxcpaths() {
        return Stream.of(
                Arguments.of("/var/lib/lxc", "/var/lib/lxc"),
                Arguments.of("/var/lib/lxc/", "/var/lib/lxc"),
                Arguments.of("//var//lib/./lxc", "/var/lib/lxc"),
                Arguments.of("/srv/lxc/../lxc2", "/srv/lxc2"));
    }

    @ParameterizedTest
    @MethodSource("lxcpaths")
    void spellsTheLxcpathTheWayLxcDoes(String setting, String spelled) {
        assertThat(LxcAdapter.lxcpath(setting)).isEqualTo(Path.of(spelled));
        assertThat(LxcAdapter.lxcpath(setting).toString()).isEqualTo(spelled);
    }

    @ParameterizedTest
    @ValueSource(strings = {"var/lib/lxc", "lxc", ""})
    void refusesARelativeLxcpath(String setting) {
        assertThatThrownBy(() -> LxcAdapter.lxcpath(setting)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lxc.lxcpath must be an absolute path");
    }
}
