package org.phoenixcast.discovery.nspawn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The machine name a running systemd-nspawn was given, read from its own argv as getopt_long
 * would (nspawn's option string starts with '+': parsing stops at the first non-option, the
 * container's command). The option table is systemd 252's ({@code systemd-nspawn --help} plus
 * the hidden {@code --share-system} and {@code --private-users-chown}); like getopt, a unique
 * prefix of a long option is accepted.
 *
 * <p>Without {@code -M}, nspawn names the machine after the last component of {@code -D} (or
 * of {@code -i} without ".raw", or of its working directory when it has neither); the caller
 * checks the result against nspawn's own propagate directory, since nspawn may also clean the
 * name up. {@code -x} without {@code -M} appends a random suffix, and {@code -D /} uses the
 * host name: both cannot be known from argv and are refused with the reason.
 *
 * <p>Security: this argv is the host-side nspawn process's own, written by whoever started it as
 * host root; the guest cannot change it. Nothing from inside the container is read.
 */
final class NspawnCommandLine {
    /** Long options that take an argument (required; given as --opt=ARG or --opt ARG). */
    private static final Set<String> LONG_WITH_ARGUMENT = Set.of(
            "directory", "template", "image", "oci-bundle", "root-hash", "root-hash-sig", "verity-data",
            "pivot-root", "chdir", "setenv", "user", "kill-signal", "notify-ready", "suppress-sync", "machine",
            "hostname", "uuid", "slice", "property", "register", "private-users-ownership", "network-interface",
            "network-macvlan", "network-ipvlan", "network-veth-extra", "network-bridge", "network-zone",
            "network-namespace-path", "port", "capability", "drop-capability", "ambient-capability",
            "system-call-filter", "selinux-context", "selinux-apifs-context", "rlimit", "oom-score-adjust",
            "cpu-affinity", "personality", "resolv-conf", "timezone", "link-journal", "bind", "bind-ro",
            "inaccessible", "tmpfs", "overlay", "overlay-ro", "bind-user", "console", "set-credential",
            "load-credential", "settings");
    /** Long options without an argument, or with an optional one (only as --opt=ARG). */
    private static final Set<String> LONG_WITHOUT_ARGUMENT = Set.of(
            "help", "version", "quiet", "no-pager", "ephemeral", "read-only", "volatile", "as-pid2", "boot",
            "keep-unit", "private-users", "private-network", "network-veth", "no-new-privileges", "pipe",
            "private-users-chown", "share-system");
    private static final Set<String> OPTIONAL_ARGUMENT = Set.of("volatile", "private-users");
    /** getopt string "+hD:u:abL:M:jS:Z:qi:xp:nUE:P" of systemd 252. */
    private static final String SHORT_WITH_ARGUMENT = "DuLMSZipE";
    private static final String SHORT_WITHOUT_ARGUMENT = "habjqxnUP";
    private static final Map<Character, String> SHORT_NAMES = Map.of(
            'M', "machine", 'D', "directory", 'i', "image", 'x', "ephemeral");

    /** The machine name, or why there is none. */
    record Result(Optional<String> machine, String problem) {
        static Result named(String name) {
            return new Result(Optional.of(name), null);
        }

        static Result refused(String why) {
            return new Result(Optional.empty(), why);
        }
    }

    private NspawnCommandLine() {}

    /**
     * @param argv the process's argv (argv[0] included)
     * @param cwd  the process's working directory, for the name when neither -D nor -i is given
     */
    static Result machineName(List<String> argv, String cwd) {
        String machine = null;
        String directory = null;
        String image = null;
        String ociBundle = null;
        boolean ephemeral = false;
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("--")) break;
            if (!a.startsWith("-") || a.equals("-")) break;
            List<String[]> options = new ArrayList<>(); // {long name, value or null}
            if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                String given = eq < 0 ? a.substring(2) : a.substring(2, eq);
                String value = eq < 0 ? null : a.substring(eq + 1);
                Optional<String> name = longOption(given);
                if (name.isEmpty()) return Result.refused("unknown or ambiguous option " + quote("--" + given));
                if (LONG_WITH_ARGUMENT.contains(name.get())) {
                    if (value == null) {
                        if (++i >= argv.size()) return Result.refused("--" + name.get() + " without its argument");
                        value = argv.get(i);
                    }
                } else if (value != null && !OPTIONAL_ARGUMENT.contains(name.get())) {
                    return Result.refused("--" + name.get() + " takes no argument");
                }
                options.add(new String[] {name.get(), value});
            } else {
                for (int j = 1; j < a.length(); j++) {
                    char c = a.charAt(j);
                    String name = SHORT_NAMES.getOrDefault(c, String.valueOf(c));
                    if (SHORT_WITH_ARGUMENT.indexOf(c) >= 0) {
                        String value;
                        if (j + 1 < a.length()) {
                            value = a.substring(j + 1);
                        } else {
                            if (++i >= argv.size()) return Result.refused("-" + c + " without its argument");
                            value = argv.get(i);
                        }
                        options.add(new String[] {name, value});
                        break;
                    }
                    if (SHORT_WITHOUT_ARGUMENT.indexOf(c) < 0) return Result.refused("unknown option " + quote("-" + c));
                    options.add(new String[] {name, null});
                }
            }
            for (String[] o : options) {
                switch (o[0]) {
                    case "machine" -> machine = o[1];
                    case "directory" -> directory = o[1];
                    case "image" -> image = o[1];
                    case "oci-bundle" -> ociBundle = o[1];
                    case "ephemeral" -> ephemeral = true;
                    default -> { }
                }
            }
        }
        if (machine != null) {
            return machine.isEmpty() ? Result.refused("empty -M") : Result.named(machine);
        }
        if (ephemeral) return Result.refused("started with -x but without -M: nspawn adds a random suffix to the name");
        if (image != null) {
            String base = lastComponent(image);
            if (base.endsWith(".raw")) base = base.substring(0, base.length() - 4);
            return base.isEmpty() ? Result.refused("no name in -i " + quote(image)) : Result.named(base);
        }
        if (ociBundle != null && directory == null) return Result.refused("started with --oci-bundle but without -M");
        String dir = directory != null ? directory : cwd;
        if (dir == null) return Result.refused("neither -M nor -D");
        String base = lastComponent(dir);
        if (base.isEmpty()) return Result.refused("started on / without -M: nspawn names it after the host");
        return Result.named(base);
    }

    /** An exact long option name, or the only one that the given text is a prefix of. */
    static Optional<String> longOption(String given) {
        if (given.isEmpty()) return Optional.empty();
        if (LONG_WITH_ARGUMENT.contains(given) || LONG_WITHOUT_ARGUMENT.contains(given)) return Optional.of(given);
        List<String> matches = new ArrayList<>();
        for (String o : LONG_WITH_ARGUMENT) if (o.startsWith(given)) matches.add(o);
        for (String o : LONG_WITHOUT_ARGUMENT) if (o.startsWith(given)) matches.add(o);
        return matches.size() == 1 ? Optional.of(matches.get(0)) : Optional.empty();
    }

    private static String lastComponent(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
        if (p.equals("/")) return "";
        int slash = p.lastIndexOf('/');
        return slash < 0 ? p : p.substring(slash + 1);
    }

    private static String quote(String s) {
        return org.phoenixcast.model.Printable.quote(s);
    }
}
