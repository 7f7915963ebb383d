package org.phoenixcast.importer;

import static org.phoenixcast.importer.CastsSyntax.HOST;
import static org.phoenixcast.importer.CastsSyntax.PUBLISHED;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ini4j.Config;
import org.ini4j.Ini;
import org.ini4j.Profile;

/**
 * Renders a {@link CastsConfig} as canonical casts.ini in the design note's style:
 * <pre>
 * [104]
 * _accepted = None
 * _blocked = None
 * /var/tmp = 103:/var/tmp,105:/_external/var/tmp
 * </pre>
 * One section per container in name order, each with {@code _accepted} and {@code _blocked}
 * ({@code None} when empty), {@code _offered} for the host's offers to it, {@code _disabled} when
 * not empty, then the container's own offers as {@code PATH = CT:TARGET[(ro)],...} (the target is
 * always written, even when it is PATH, as in the note); last {@code [published]} with host first.
 *
 * <p>ini4j quirks handled here: escaping is off, since by default it writes ':' as '\:'; and its
 * writer drops a section without options, which is one more reason every container section
 * carries {@code _accepted} and {@code _blocked}: an empty {@code [106]} stays in the file.
 */
final class CastsIniWriter {
    static final String HEADER = String.join("\n",
            " casts.ini: who shares which folder with whom (phoenix-cast). Canonical form.",
            " [CT]        a container. PATH = CT2[:TARGET][(ro)],... offers CT's PATH to CT2 at TARGET.",
            "             _accepted = None | SRC:PATH,...   mounts CT consents to (SRC: container or host)",
            "             _blocked = None | All | PATH,...  where CT refuses mounts",
            "             _offered = SRC:PATH[(ro)],...     offers made to CT at the same path",
            "             _disabled = VERB,...              guest commands disabled for CT",
            " [published] OWNER = PATH[(ro)],...            shared with every container at the same path");

    private CastsIniWriter() {}

    static String render(CastsConfig config) {
        Config iniConfig = new Config();
        iniConfig.setEscape(false);
        iniConfig.setLineSeparator("\n");
        Ini ini = new Ini();
        ini.setConfig(iniConfig);
        ini.setComment(HEADER);
        for (String container : config.containers()) {
            writeContainer(ini.add(container), container, config);
        }
        writePublished(ini, config);
        StringWriter out = new StringWriter();
        try {
            ini.store(out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a StringWriter cannot fail", e);
        }
        return out.toString();
    }

    private static void writeContainer(Profile.Section section, String container, CastsConfig config) {
        List<String> accepted = new ArrayList<>();
        for (Acceptance a : config.acceptances()) {
            if (a.receiver().equals(container)) accepted.add(a.owner() + ":" + a.sourcePath());
        }
        section.put("_accepted", joinOrNone(accepted));

        List<String> blocked = new ArrayList<>();
        for (Block b : config.blocks()) {
            if (!b.receiver().equals(container)) continue;
            if (b.isAll()) {
                blocked = List.of("All"); // CastsConfig dropped this receiver's path blocks
                break;
            }
            blocked.add(b.path());
        }
        section.put("_blocked", joinOrNone(blocked));

        List<String> offered = new ArrayList<>();
        Map<String, List<String>> ownOffers = new TreeMap<>();
        for (Offer o : config.offers()) {
            if (o.owner().equals(HOST) && o.receiver().equals(container)) {
                offered.add(HOST + ":" + o.sourcePath() + ro(o.readOnly()));
            } else if (o.owner().equals(container) && !o.isPublished()) {
                ownOffers.computeIfAbsent(o.sourcePath(), p -> new ArrayList<>())
                        .add(o.receiver() + ":" + o.targetPath() + ro(o.readOnly()));
            }
        }
        if (!offered.isEmpty()) section.put("_offered", String.join(",", offered));

        List<String> disabled = new ArrayList<>();
        for (DisabledVerb v : config.disabledVerbs()) {
            if (v.container().equals(container)) disabled.add(v.verb());
        }
        if (!disabled.isEmpty()) section.put("_disabled", String.join(",", disabled));

        ownOffers.forEach((path, items) -> section.put(path, String.join(",", items)));
    }

    private static void writePublished(Ini ini, CastsConfig config) {
        Map<String, List<String>> byOwner = new TreeMap<>((a, b) -> {
            if (a.equals(b)) return 0;
            if (a.equals(HOST)) return -1;
            if (b.equals(HOST)) return 1;
            return a.compareTo(b);
        });
        for (Offer o : config.offers()) {
            if (o.isPublished()) {
                byOwner.computeIfAbsent(o.owner(), k -> new ArrayList<>()).add(o.sourcePath() + ro(o.readOnly()));
            }
        }
        if (byOwner.isEmpty()) return;
        Profile.Section published = ini.add(PUBLISHED);
        byOwner.forEach((owner, paths) -> published.put(owner, String.join(",", paths)));
    }

    private static String joinOrNone(List<String> items) {
        return items.isEmpty() ? "None" : String.join(",", items);
    }

    private static String ro(boolean readOnly) {
        return readOnly ? "(ro)" : "";
    }
}
