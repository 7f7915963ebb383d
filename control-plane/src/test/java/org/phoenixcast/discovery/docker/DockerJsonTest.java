package org.phoenixcast.discovery.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Engine API documents recorded from dockerd 20.10 (see HttpResponseTest), plus hostile variants. */
class DockerJsonTest {

    static byte[] body(String file) throws IOException {
        byte[] response = HttpResponseTest.recorded(file);
        HttpResponse r = new HttpResponse(1 << 24);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        r.feed(response, 0, response.length, body::write);
        r.endOfInput();
        return body.toByteArray();
    }

    @Test
    void listsRunningAndPausedContainersByTheirOwnNames() throws IOException {
        List<String> skipped = new ArrayList<>();
        List<DockerJson.Listed> listed = DockerJson.containers(body("containers-content-length.http"), skipped::add);
        assertThat(listed).containsExactly(
                new DockerJson.Listed("cdbac1e7aa11e2f935957c0a8cd8869658a85d0df628b153238bf5825d3e26e0", "pc-paused"),
                new DockerJson.Listed("aaa81b579c0c5e3277e3c04baf66140b114a6b14cd137c2b6d7ad2165be6a3ab", "pc-web"));
        assertThat(skipped).isEmpty();
        assertThat(DockerJson.containers(body("containers-chunked.http"), skipped::add))
                .extracting(DockerJson.Listed::name)
                .containsExactly("pc-more6", "pc-more5", "pc-more4", "pc-more3", "pc-more2", "pc-more1", "pc-paused", "pc-web");
    }

    @Test
    void readsTheInitPidOfRunningAndPausedContainersOnly() throws IOException {
        assertThat(DockerJson.inspect(body("inspect-running.http"))).isEqualTo(new DockerJson.Inspected(true, 19683));
        assertThat(DockerJson.inspect(body("inspect-paused.http"))).isEqualTo(new DockerJson.Inspected(true, 19490));
        assertThat(DockerJson.inspect(body("inspect-exited.http"))).isEqualTo(new DockerJson.Inspected(false, 0));
    }

    static Stream<Arguments> hostileListings() {
        String good = "\"Id\":\"" + "a".repeat(64) + "\",\"State\":\"running\"";
        return Stream.of(
                Arguments.of("[{" + good + ",\"Names\":[\"/web\"]}]", List.of("web"), 0),
                Arguments.of("[{" + good + ",\"Names\":[\"/other/alias\",\"/web\"]}]", List.of("web"), 0),
                Arguments.of("[{" + good + ",\"Names\":[\"/other/alias\"]}]", List.of(), 1),
                Arguments.of("[{" + good + ",\"Names\":[\"web\"]}]", List.of(), 1),
                Arguments.of("[{" + good + ",\"Names\":\"/web\"}]", List.of(), 1),
                Arguments.of("[{" + good + "}]", List.of(), 1),
                Arguments.of("[{\"Id\":\"../../info?x=\",\"State\":\"running\",\"Names\":[\"/web\"]}]", List.of(), 1),
                Arguments.of("[{\"Id\":\"" + "A".repeat(64) + "\",\"State\":\"running\",\"Names\":[\"/web\"]}]", List.of(), 1),
                Arguments.of("[{\"Id\":\"" + "a".repeat(64) + "\",\"State\":\"created\",\"Names\":[\"/web\"]}]", List.of(), 0),
                Arguments.of("[{\"Id\":\"" + "a".repeat(64) + "\",\"State\":\"restarting\",\"Names\":[\"/web\"]}]", List.of(), 0),
                Arguments.of("[1, null, \"x\"]", List.of(), 3),
                Arguments.of("[]", List.of(), 0));
    }

    @ParameterizedTest
    @MethodSource("hostileListings")
    void skipsEntriesItCannotTrust(String json, List<String> names, int skips) throws IOException {
        List<String> skipped = new ArrayList<>();
        assertThat(DockerJson.containers(json.getBytes(StandardCharsets.UTF_8), skipped::add))
                .extracting(DockerJson.Listed::name).containsExactlyElementsOf(names);
        assertThat(skipped).hasSize(skips);
    }

    @Test
    void refusesAListingThatIsNoArray() {
        assertThatThrownBy(() -> DockerJson.containers("{\"message\":\"x\"}".getBytes(StandardCharsets.UTF_8), s -> {}))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> DockerJson.containers("[{\"Id\":".getBytes(StandardCharsets.UTF_8), s -> {}))
                .isInstanceOf(IOException.class);
    }

    @Test
    void refusesAnInspectDocumentWithoutAPid() {
        assertThatThrownBy(() -> DockerJson.inspect("{\"State\":{\"Running\":true}}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> DockerJson.inspect("{\"State\":{\"Running\":true,\"Pid\":\"12\"}}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> DockerJson.inspect("[]".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IOException.class);
    }

    @Test
    void aRestartingContainerIsNotRunning() throws IOException {
        String doc = "{\"State\":{\"Running\":true,\"Restarting\":true,\"Pid\":0}}";
        assertThat(DockerJson.inspect(doc.getBytes(StandardCharsets.UTF_8)).running()).isFalse();
    }

    @Test
    void everyRecordedEventIsRelevant() throws IOException {
        byte[] response = HttpResponseTest.recorded("events.http");
        HttpResponse r = new HttpResponse(Long.MAX_VALUE);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        r.feed(response, 0, response.length, body::write);
        for (String line : body.toString(StandardCharsets.UTF_8).split("\n")) {
            assertThat(DockerJson.relevantEvent(line)).as(line).isTrue();
        }
    }

    static Stream<Arguments> events() throws IOException {
        ObjectMapper json = new ObjectMapper();
        return Stream.of(
                Arguments.of(json.writeValueAsString(java.util.Map.of("Type", "container", "Action", "die")), true),
                Arguments.of(json.writeValueAsString(java.util.Map.of("Type", "container", "Action", "rename")), true),
                Arguments.of(json.writeValueAsString(java.util.Map.of("Type", "container", "Action", "destroy")), true),
                Arguments.of(json.writeValueAsString(java.util.Map.of("Type", "container", "Action", "exec_start: sh -c x")), false),
                Arguments.of(json.writeValueAsString(java.util.Map.of("Type", "container", "Action", "health_status: healthy")), false),
                Arguments.of(json.writeValueAsString(java.util.Map.of("Type", "container", "Action", "attach")), false),
                Arguments.of(json.writeValueAsString(java.util.Map.of("Type", "network", "Action", "start")), false),
                Arguments.of("{\"status\":\"start\",\"Type\":\"container\"}", true));
    }

    @ParameterizedTest
    @MethodSource("events")
    void wakesOnlyForEventsThatChangeTheRunningSet(String line, boolean relevant) throws IOException {
        assertThat(DockerJson.relevantEvent(line)).isEqualTo(relevant);
    }

    @Test
    void refusesAnEventThatIsNoObject() {
        assertThatThrownBy(() -> DockerJson.relevantEvent("[]")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> DockerJson.relevantEvent("not json")).isInstanceOf(IOException.class);
    }
}
