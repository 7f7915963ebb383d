package org.phoenixcast.discovery.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Reads the three Engine API documents castd uses: the container list, one container's inspect
 * document and one event line. Defensive: a malformed entry is skipped (reported to the caller
 * once per listing), never trusted for a path or a PID.
 */
final class DockerJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Engine container ids are 64 lowercase hex digits; the id goes into a request path. */
    private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");
    /** Listed states whose init process runs (a paused one is frozen, not gone). */
    private static final Set<String> RUNNING_STATES = Set.of("running", "paused");
    /** Event actions that may change which containers run, or their names. */
    private static final Set<String> ACTIONS = Set.of("start", "restart", "die", "stop", "destroy", "rename");

    private DockerJson() {}

    /** One entry of {@code GET /containers/json}: its id and its primary name (no leading '/'). */
    record Listed(String id, String name) {}

    /** What {@code GET /containers/{id}/json} says about the container's init. */
    record Inspected(boolean running, int pid) {}

    /**
     * The running (and paused) containers of a listing. Entries without a valid id or a primary
     * name are skipped and described to {@code skipped}.
     */
    static List<Listed> containers(byte[] body, Consumer<String> skipped) throws IOException {
        JsonNode root = JSON.readTree(body);
        if (root == null || !root.isArray()) throw new IOException("container list is not a JSON array");
        List<Listed> out = new ArrayList<>();
        for (JsonNode c : root) {
            String id = c.path("Id").asText("");
            if (!ID.matcher(id).matches()) {
                skipped.accept("entry without a valid Id: " + HttpResponse.abbreviate(id));
                continue;
            }
            if (!RUNNING_STATES.contains(c.path("State").asText(""))) continue;
            String name = primaryName(c.path("Names"));
            if (name == null) {
                skipped.accept("container " + id.substring(0, 12) + " has no name");
                continue;
            }
            out.add(new Listed(id, name));
        }
        return out;
    }

    /**
     * The container's own name among {@code Names}: "/web" gives "web". Legacy links add names
     * like "/other/alias", which belong to the linking container and are not this one's name.
     */
    static String primaryName(JsonNode names) {
        if (!names.isArray()) return null;
        for (JsonNode n : names) {
            String s = n.asText("");
            if (s.length() > 1 && s.charAt(0) == '/' && s.indexOf('/', 1) < 0) return s.substring(1);
        }
        return null;
    }

    /** The init PID and running flag of an inspect document; IOException when it has no State. */
    static Inspected inspect(byte[] body) throws IOException {
        JsonNode root = JSON.readTree(body);
        JsonNode state = root == null ? null : root.get("State");
        if (state == null || !state.isObject()) throw new IOException("inspect document without a State");
        JsonNode pid = state.get("Pid");
        boolean running = state.path("Running").asBoolean(false) && !state.path("Restarting").asBoolean(false);
        if (pid == null || !pid.canConvertToInt()) throw new IOException("inspect document without a State.Pid");
        return new Inspected(running, pid.asInt());
    }

    /**
     * True when one line of the event stream may change the running set or a name. dockerd
     * already filters by type and action; this is the second check. Unparsable lines are false
     * (they name no change); the caller reports them.
     */
    static boolean relevantEvent(String line) throws IOException {
        JsonNode e = JSON.readTree(line);
        if (e == null || !e.isObject()) throw new IOException("event is not a JSON object");
        String type = e.path("Type").asText("");
        String action = e.path("Action").asText(e.path("status").asText(""));
        int colon = action.indexOf(':'); // "exec_start: sh -c ..." style actions
        if (colon >= 0) action = action.substring(0, colon);
        return type.equals("container") && ACTIONS.contains(action);
    }
}
