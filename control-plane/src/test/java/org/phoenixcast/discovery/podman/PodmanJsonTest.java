package org.phoenixcast.discovery.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** podman 4.3.1 output recorded on Debian 12 (root, --root/--runroot/--tmpdir private), plus hostile variants. */
class PodmanJsonTest {

    static byte[] recorded(String name) throws IOException {
        try (InputStream in = PodmanJsonTest.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("no test resource " + name);
            return in.readAllBytes();
        }
    }

    @Test
    void listsRunningAndPausedContainersWithTheirInitPids() throws IOException {
        List<String> skipped = new ArrayList<>();
        assertThat(PodmanJson.running(recorded("ps-running-paused.json"), skipped::add)).containsExactly(
                new PodmanJson.Running("pc-a2", 22048), new PodmanJson.Running("pc-b", 21842));
        assertThat(PodmanJson.running(recorded("ps-all.json"), skipped::add))
                .as("created and exited ones are left out even when podman lists them")
                .extracting(PodmanJson.Running::name).containsExactly("pc-a2", "pc-b");
        assertThat(skipped).isEmpty();
    }

    @Test
    void noContainersIsAnEmptyArrayOrNothingAtAll() throws IOException {
        assertThat(PodmanJson.running("[]\n".getBytes(StandardCharsets.UTF_8), s -> {})).isEmpty();
        assertThat(PodmanJson.running(new byte[0], s -> {})).isEmpty();
    }

    static Stream<Arguments> hostileListings() {
        return Stream.of(
                Arguments.of("[{\"Names\":[\"web\"],\"State\":\"running\",\"Pid\":1234}]", List.of("web"), 0),
                Arguments.of("[{\"Names\":[\"pod-infra\"],\"State\":\"running\",\"Pid\":1234,\"IsInfra\":true}]", List.of(), 0),
                Arguments.of("[{\"Names\":[],\"State\":\"running\",\"Pid\":1234}]", List.of(), 1),
                Arguments.of("[{\"Names\":\"web\",\"State\":\"running\",\"Pid\":1234}]", List.of(), 1),
                Arguments.of("[{\"Names\":[\"web\"],\"State\":\"running\",\"Pid\":0}]", List.of(), 1),
                Arguments.of("[{\"Names\":[\"web\"],\"State\":\"running\",\"Pid\":1}]", List.of(), 1),
                Arguments.of("[{\"Names\":[\"web\"],\"State\":\"running\",\"Pid\":\"1234\"}]", List.of(), 1),
                Arguments.of("[{\"Names\":[\"web\"],\"State\":\"running\",\"Pid\":99999999999}]", List.of(), 1),
                Arguments.of("[{\"Names\":[\"web\"],\"State\":\"running\"}]", List.of(), 1),
                Arguments.of("[{\"Names\":[\"web\"],\"State\":\"stopping\",\"Pid\":1234}]", List.of(), 0),
                Arguments.of("[1, null, \"x\"]", List.of(), 0));
    }

    @ParameterizedTest
    @MethodSource("hostileListings")
    void skipsEntriesItCannotTrust(String json, List<String> names, int skips) throws IOException {
        List<String> skipped = new ArrayList<>();
        assertThat(PodmanJson.running(json.getBytes(StandardCharsets.UTF_8), skipped::add))
                .extracting(PodmanJson.Running::name).containsExactlyElementsOf(names);
        assertThat(skipped).hasSize(skips);
    }

    @Test
    void refusesOutputThatIsNoArray() {
        assertThatThrownBy(() -> PodmanJson.running("{}".getBytes(StandardCharsets.UTF_8), s -> {}))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> PodmanJson.running("[{".getBytes(StandardCharsets.UTF_8), s -> {}))
                .isInstanceOf(IOException.class);
    }

    @Test
    void wakesForRecordedStartsStopsRenamesAndRemovalsOnly() throws IOException {
        List<String> relevant = new ArrayList<>();
        for (String line : new String(recorded("events.jsonl"), StandardCharsets.UTF_8).split("\n")) {
            if (PodmanJson.relevantEvent(line)) relevant.add(line.replaceAll(".*\"Status\":\"([a-z]+)\".*", "$1"));
        }
        assertThat(relevant).containsExactly("remove", "remove", "start", "start", "start", "died", "rename",
                "restart", "stop", "died", "start");
    }

    @Test
    void refusesLinesThatAreNoEvents() {
        assertThatThrownBy(() -> PodmanJson.relevantEvent("time=\"2026-11-24T05:12:35Z\" level=warning msg=\"x\""))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> PodmanJson.relevantEvent("Error: no such file")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> PodmanJson.relevantEvent("{\"Status\":")).isInstanceOf(IOException.class);
    }
}
