package org.phoenixcast.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which container runtimes castd discovers by itself, how each is reached, and which of their
 * containers it manages (castd.conf; etc/castd.conf documents each key).
 *
 * @param enabled    runtime ids in priority order: when two runtimes report the same process
 *                   (Podman runs its containers with runc), the first one listed owns it
 * @param settings   the per-runtime keys ("lxc.lxcpath", "docker.socket", ...) that were set
 * @param names      a regular expression: only containers whose runtime name matches it (whole
 *                   match) are managed
 * @param resync     the safety-net interval at which each runtime is listed without an event
 */
public record RuntimeConfig(List<String> enabled, Map<String, String> settings, String names, Duration resync) {
    /** Every runtime castd has an adapter for, in the default priority order. */
    public static final List<String> KNOWN = List.of("lxc", "nspawn", "podman", "docker", "runc", "openvz");
    /** Enabled unless castd.conf says otherwise; OpenVZ is opt-in (not tested against a real kernel). */
    static final List<String> DEFAULT_ENABLED = List.of("lxc", "nspawn", "podman", "docker", "runc");
    /** Per-runtime keys and their built-in defaults. */
    public static final Map<String, String> DEFAULTS = Map.of(
            "lxc.lxcpath", "/var/lib/lxc",
            "nspawn.state-dir", "/run/systemd/nspawn",
            "podman.command", "podman",
            "podman.root", "",
            "podman.runroot", "",
            "docker.socket", "/run/docker.sock",
            "runc.root", "/run/runc",
            "openvz.vzlist", "vzlist");
    static final Set<String> KEYS = Set.of("runtimes", "discover-names", "runtime-resync-seconds");

    public RuntimeConfig {
        enabled = List.copyOf(enabled);
        settings = Map.copyOf(settings);
        Pattern.compile(names); // fails early on a bad expression
    }

    public Pattern namePattern() {
        return Pattern.compile(names);
    }

    public static RuntimeConfig defaults() {
        return new RuntimeConfig(DEFAULT_ENABLED, Map.of(), ".*", Duration.ofSeconds(60));
    }

    /** True for a key this class reads. */
    static boolean isKey(String key) {
        return KEYS.contains(key) || DEFAULTS.containsKey(key);
    }

    /** The value of a per-runtime key, or its built-in default. */
    public String setting(String key) {
        String fallback = DEFAULTS.get(key);
        if (fallback == null) throw new IllegalArgumentException("unknown runtime setting '" + key + "'");
        return settings.getOrDefault(key, fallback);
    }

    static RuntimeConfig load(Properties p, long resyncSeconds) {
        List<String> enabled = new ArrayList<>();
        String list = p.getProperty("runtimes");
        if (list == null) {
            enabled.addAll(DEFAULT_ENABLED);
        } else {
            for (String item : list.split(",")) {
                String id = item.trim();
                if (id.isEmpty()) continue;
                if (!KNOWN.contains(id)) {
                    throw new IllegalArgumentException("castd.conf: runtimes: unknown runtime '" + id + "'; known: "
                            + String.join(", ", KNOWN));
                }
                if (enabled.contains(id)) throw new IllegalArgumentException("castd.conf: runtimes: '" + id + "' listed twice");
                enabled.add(id);
            }
        }
        String regex = p.getProperty("discover-names", ".*").trim();
        try {
            Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("castd.conf: discover-names: not a regular expression: '" + regex + "'", e);
        }
        Map<String, String> settings = new TreeMap<>();
        for (String key : DEFAULTS.keySet()) {
            String value = p.getProperty(key);
            if (value == null) continue;
            if (!key.startsWith("podman.root") && !key.startsWith("podman.runroot") && value.isBlank()) {
                throw new IllegalArgumentException("castd.conf: " + key + " must not be empty");
            }
            settings.put(key, value.trim());
        }
        return new RuntimeConfig(enabled, settings, regex, Duration.ofSeconds(resyncSeconds));
    }
}
