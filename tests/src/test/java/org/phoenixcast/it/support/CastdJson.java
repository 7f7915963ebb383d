package org.phoenixcast.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** {@code castctl status --json} and {@code castctl history --json}, parsed. */
public final class CastdJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CastdJson() {}

    /** One row of {@code castctl history --json}. */
    public record HistoryRow(long id, String container, String verb, String arguments, String outcome, String reason) {}

    public static JsonNode status(CastdProcess castd) {
        return parse(castd.castctlOk("status", "--json"));
    }

    /** Requests not yet REPLIED. */
    public static int queued(CastdProcess castd) {
        return status(castd).get("queued").asInt();
    }

    /** The newest 100,000 history rows, oldest first. */
    /** The history rows of one container. */
    public static List<HistoryRow> historyOf(CastdProcess castd, String container) {
        return history(castd).stream().filter(r -> r.container().equals(container)).toList();
    }

    public static List<HistoryRow> history(CastdProcess castd) {
        List<HistoryRow> rows = new ArrayList<>();
        for (JsonNode n : parse(castd.castctlOk("history", "--json", "--limit", "100000"))) {
            rows.add(new HistoryRow(n.get("id").asLong(), n.get("container").asText(), n.get("verb").asText(),
                    n.get("arguments").asText(), n.get("outcome").asText(), n.get("reason").asText()));
        }
        return rows;
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("castctl printed no JSON: " + text, e);
        }
    }
}
