package org.phoenixcast.discovery.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.phoenixcast.model.Printable;

/**
 * Reads {@code podman ps --format json} and {@code podman events --format json} lines
 * (Podman 4.x). Defensive: a malformed entry is skipped and described to the caller.
 */
final class PodmanJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** States whose init process runs (a paused container is frozen, not gone). */
    private static final Set<String> RUNNING_STATES = Set.of("running", "paused");
    /** Event statuses that may change which containers run, or their names. */
    private static final Set<String> STATUSES = Set.of("start", "restart", "died", "exited", "stop", "remove",
            "rename", "restore", "checkpoint");

    private PodmanJson() {}

    /** One running container: its name and its init's host PID. */
    record Running(String name, int pid) {}

    /**
     * The running and paused containers of a {@code podman ps} listing. A pod's infra container
     * (it only holds the pod's namespaces, running catatonit or pause) is left out; the pod's
     * own containers are listed on their own.
     */
    static List<Running> running(byte[] ps, Consumer<String> skipped) throws IOException {
        JsonNode root = JSON.readTree(ps);
        if (root == null || root.isMissingNode()) return List.of(); // podman prints nothing for none
        if (!root.isArray()) throw new IOException("podman ps output is not a JSON array");
        List<Running> out = new ArrayList<>();
        for (JsonNode c : root) {
            if (!RUNNING_STATES.contains(c.path("State").asText(""))) continue;
            if (c.path("IsInfra").asBoolean(false)) continue;
            String name = c.path("Names").path(0).asText("");
            JsonNode pid = c.get("Pid");
            if (name.isEmpty()) {
                skipped.accept("container " + Printable.quote(abbreviate(c.path("Id").asText("?"))) + " has no name");
            } else if (pid == null || !pid.canConvertToInt() || pid.asInt() <= 1) {
                skipped.accept("container " + Printable.quote(name) + " has no init PID");
            } else {
                out.add(new Running(name, pid.asInt()));
            }
        }
        return out;
    }

    /**
     * True when an event line may change the running set or a name. Lines that are not JSON
     * objects (podman's own warnings, merged from stderr) throw; the caller reports them.
     */
    static boolean relevantEvent(String line) throws IOException {
        if (!line.startsWith("{")) throw new IOException("not an event");
        JsonNode e = JSON.readTree(line);
        if (e == null || !e.isObject()) throw new IOException("not an event");
        return e.path("Type").asText("").equals("container") && STATUSES.contains(e.path("Status").asText(""));
    }

    private static String abbreviate(String s) {
        return s.length() > 12 ? s.substring(0, 12) : s;
    }
}
