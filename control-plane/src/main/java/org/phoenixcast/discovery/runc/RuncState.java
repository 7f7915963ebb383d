package org.phoenixcast.discovery.runc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The part of runc's {@code <root>/<id>/state.json} discovery reads: the container id, its init's
 * host PID and that init's /proc starttime (runc records both when it creates the container).
 * The rest (config, cgroup paths, namespaces) is ignored.
 *
 * <p>state.json is written by runc as host root into a root-only directory; nothing inside the
 * container can write it. It is still parsed defensively: an odd file is refused with the reason.
 */
record RuncState(String id, int initPid, long initStart) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Parses state.json found in the directory {@code directoryName}; the id recorded inside must
     * equal the directory's name (runc names the directory after the id).
     *
     * @throws IllegalArgumentException with the reason when the file is not a usable state
     */
    static RuncState parse(String directoryName, byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("unreadable: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("not a JSON object");
        JsonNode id = root.get("id");
        if (id == null || !id.isTextual()) throw new IllegalArgumentException("no \"id\"");
        if (!id.asText().equals(directoryName)) {
            throw new IllegalArgumentException("\"id\" " + org.phoenixcast.model.Printable.quote(id.asText())
                    + " differs from its directory's name");
        }
        JsonNode pid = root.get("init_process_pid");
        if (pid == null || !pid.isIntegralNumber() || !pid.canConvertToInt() || pid.asInt() <= 1) {
            throw new IllegalArgumentException("no valid \"init_process_pid\"");
        }
        return new RuncState(id.asText(), pid.asInt(), startTime(root.get("init_process_start")));
    }

    /** A number since runc 1.0; a decimal string in older releases. */
    private static long startTime(JsonNode start) {
        if (start != null && start.isIntegralNumber() && start.canConvertToLong() && start.asLong() >= 0) {
            return start.asLong();
        }
        if (start != null && start.isTextual() && start.asText().matches("[0-9]{1,19}")) {
            try {
                return Long.parseLong(start.asText());
            } catch (NumberFormatException e) {
                // too large: falls through
            }
        }
        throw new IllegalArgumentException("no valid \"init_process_start\"");
    }
}
