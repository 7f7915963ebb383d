package org.phoenixcast.importer;

import static org.phoenixcast.importer.CastsSyntax.HOST;
import static org.phoenixcast.importer.CastsSyntax.PUBLISHED;
import static org.phoenixcast.importer.CastsSyntax.containerNameProblem;
import static org.phoenixcast.importer.CastsSyntax.ownerProblem;
import static org.phoenixcast.importer.CastsSyntax.pathProblem;
import static org.phoenixcast.importer.CastsSyntax.quote;
import static org.phoenixcast.importer.CastsSyntax.verbProblem;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.ini4j.Config;
import org.ini4j.InvalidFileFormatException;
import org.ini4j.spi.IniHandler;
import org.ini4j.spi.IniParser;

/**
 * Turns casts.ini text into a {@link CastsConfig}. ini4j does the line syntax (sections,
 * {@code key = value}, comments, continuation lines); this class gives meaning to sections, keys
 * and list items and names the section, key and value of the first thing it cannot accept.
 *
 * <p>ini4j is driven through its {@link IniHandler} rather than an {@code Ini} object so that a
 * section or key written twice is seen and refused instead of silently merged or overwritten.
 */
final class CastsIniReader {
    private static final String ACCEPTED = "_accepted";
    private static final String BLOCKED = "_blocked";
    private static final String OFFERED = "_offered";
    private static final String DISABLED = "_disabled";
    private static final String NONE = "None";
    private static final String ALL = "All";
    private static final String RO_SUFFIX = "(ro)";

    private record Entry(String key, String value) {}

    private record Section(String name, List<Entry> entries) {}

    private record ShareKey(String owner, String sourcePath, String receiver) {}

    /** An offer and where it was read, for the message about a conflicting one. */
    private record Found(Offer offer, String where) {}

    private record Suffixed(String text, boolean readOnly) {}

    private final Set<String> sectionNames = new HashSet<>();
    private final Set<String> containers = new HashSet<>();
    private final Map<ShareKey, Found> offers = new LinkedHashMap<>();
    private final List<Acceptance> acceptances = new ArrayList<>();
    private final List<Block> blocks = new ArrayList<>();
    private final List<DisabledVerb> disabledVerbs = new ArrayList<>();

    private CastsIniReader() {}

    static CastsConfig read(Reader in) throws IOException {
        String text = readAll(in);
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        rejectWhatIni4jWouldHide(text);
        CastsIniReader reader = new CastsIniReader();
        for (Section section : parse(text)) {
            reader.interpret(section);
        }
        return reader.config();
    }

    private static String readAll(Reader in) throws IOException {
        StringBuilder text = new StringBuilder();
        char[] buffer = new char[8192];
        for (int n; (n = in.read(buffer)) >= 0; ) {
            text.append(buffer, 0, n);
        }
        return text.toString();
    }

    /**
     * Refuses, on the raw lines, two things ini4j would silently change:
     * <ul>
     *   <li>ini4j ends a key at its first ':' or '=' and has no setting to change that, so
     *       {@code 104:/var/tmp = x} would reach us as key {@code 104} with value
     *       {@code /var/tmp = x}, and a path key {@code /a:b} as {@code /a}. Nothing after the split
     *       can tell, so a ':' before the first '=' is refused here. Paths themselves may not
     *       contain ':' or '=' (see {@link CastsSyntax#pathProblem}).</li>
     *   <li>ini4j trims keys and values with {@link String#trim()}, which also eats control
     *       characters at their ends: {@code /srv<BEL> = 103} would offer {@code /srv}. Any control
     *       character other than a tab is refused.</li>
     * </ul>
     * Lines are read as ini4j reads them: comments start with ';' or '#', a line ending in an odd
     * number of backslashes continues on the next.
     */
    private static void rejectWhatIni4jWouldHide(String text) throws CastsIniException {
        String section = null;
        boolean continued = false;
        String[] lines = text.split("\r\n|\r|\n", -1);
        for (int number = 1; number <= lines.length; number++) {
            String line = lines[number - 1];
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if ((c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                    throw new CastsIniException(section, null, "line " + number + " contains a control character: "
                            + quote(line));
                }
            }
            boolean isContinuation = continued;
            continued = endsWithOddBackslashes(line);
            if (isContinuation) continue;
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.charAt(0) == ';' || trimmed.charAt(0) == '#') continue;
            if (trimmed.charAt(0) == '[') {
                int end = trimmed.lastIndexOf(']');
                section = (end > 0 ? trimmed.substring(1, end) : trimmed.substring(1)).trim();
                continue;
            }
            int colon = trimmed.indexOf(':');
            int equals = trimmed.indexOf('=');
            if (colon >= 0 && (equals < 0 || colon < equals)) {
                String key = trimmed.substring(0, equals < 0 ? trimmed.length() : equals).trim();
                throw new CastsIniException(section, key, "key contains ':', where ini4j would cut it;"
                        + " SOURCE:PATH belongs in a value, e.g. _accepted = 104:/var/tmp");
            }
        }
    }

    /** ini4j joins a line ending in an odd number of backslashes with the next one. */
    private static boolean endsWithOddBackslashes(String line) {
        int count = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) count++;
        return count % 2 == 1;
    }

    private static List<Section> parse(String text) throws IOException {
        Config config = new Config();
        config.setEscape(false); // the default would read "\:" as ':' and mangle backslashes
        List<Section> sections = new ArrayList<>();
        try {
            IniParser.newInstance(config).parse(new StringReader(text), new IniHandler() {
                @Override public void startIni() {}
                @Override public void endIni() {}
                @Override public void endSection() {}
                @Override public void handleComment(String comment) {}

                @Override
                public void startSection(String name) {
                    sections.add(new Section(name, new ArrayList<>()));
                }

                @Override
                public void handleOption(String key, String value) {
                    sections.get(sections.size() - 1).entries().add(new Entry(key, value == null ? "" : value));
                }
            });
        } catch (InvalidFileFormatException e) {
            String last = sections.isEmpty() ? null : sections.get(sections.size() - 1).name();
            throw new CastsIniException(last, null, "cannot read " + e.getMessage()
                    + "; expected [SECTION], KEY = VALUE or a comment", e);
        }
        return sections;
    }

    private CastsConfig config() throws CastsIniException {
        try {
            return new CastsConfig(offers.values().stream().map(Found::offer).toList(), acceptances, blocks,
                    disabledVerbs, containers);
        } catch (IllegalArgumentException e) {
            throw new CastsIniException(null, null, e.getMessage(), e);
        }
    }

    private void interpret(Section section) throws CastsIniException {
        String name = section.name();
        if (name.equals(HOST)) {
            throw new CastsIniException(name, null, "'host' is reserved for the host and cannot be a section;"
                    + " the host shares through [published] and _offered = host:PATH");
        }
        if (!name.equals(PUBLISHED)) {
            String problem = containerNameProblem(name);
            if (problem != null) {
                throw new CastsIniException(name, null, "invalid section name " + quote(name) + ": " + problem);
            }
        }
        if (!sectionNames.add(name)) {
            throw new CastsIniException(name, null, "section appears more than once");
        }
        if (!name.equals(PUBLISHED)) containers.add(name);
        Set<String> keys = new HashSet<>();
        for (Entry entry : section.entries()) {
            if (!keys.add(entry.key())) {
                throw new CastsIniException(name, entry.key(), "key appears more than once in the section");
            }
            try {
                if (name.equals(PUBLISHED)) {
                    interpretPublished(entry.key(), entry.value());
                } else {
                    interpretContainerEntry(name, entry.key(), entry.value());
                }
            } catch (IllegalArgumentException e) {
                // A record refused what the checks here let through: still name where it is.
                throw new CastsIniException(name, entry.key(), e.getMessage(), e);
            }
        }
    }

    private void interpretPublished(String owner, String value) throws CastsIniException {
        String problem = ownerProblem(owner);
        if (problem != null) {
            throw new CastsIniException(PUBLISHED, owner, "invalid owner " + quote(owner) + ": " + problem
                    + ", or host");
        }
        if (!owner.equals(HOST)) containers.add(owner);
        for (String item : items(PUBLISHED, owner, value)) {
            Suffixed path = suffix(PUBLISHED, owner, item, true);
            requirePath(PUBLISHED, owner, "path", item, path.text());
            addOffer(PUBLISHED, owner, item, Offer.published(owner, path.text(), path.readOnly()));
        }
    }

    private void interpretContainerEntry(String section, String key, String value) throws CastsIniException {
        switch (key) {
            case ACCEPTED -> {
                if (isWord(value, NONE)) return;
                for (String item : items(section, key, value)) {
                    Suffixed plain = suffix(section, key, item, false);
                    String[] ref = sourceAndPath(section, key, item, plain.text());
                    acceptances.add(new Acceptance(section, ref[0], ref[1]));
                }
            }
            case BLOCKED -> {
                if (isWord(value, NONE)) return;
                if (isWord(value, ALL)) {
                    blocks.add(Block.all(section));
                    return;
                }
                for (String item : items(section, key, value)) {
                    Suffixed plain = suffix(section, key, item, false);
                    requirePath(section, key, "path", item, plain.text());
                    blocks.add(new Block(section, plain.text()));
                }
            }
            case OFFERED -> {
                if (isWord(value, NONE)) return;
                for (String item : items(section, key, value)) {
                    Suffixed offered = suffix(section, key, item, true);
                    String[] ref = sourceAndPath(section, key, item, offered.text());
                    addOffer(section, key, item, new Offer(ref[0], ref[1], section, ref[1], offered.readOnly()));
                }
            }
            case DISABLED -> {
                if (isWord(value, NONE)) return;
                for (String item : items(section, key, value)) {
                    String verb = item.toLowerCase(Locale.ROOT);
                    String problem = verbProblem(verb);
                    if (problem != null) {
                        throw new CastsIniException(section, key, "invalid verb " + quote(item) + ": " + problem);
                    }
                    disabledVerbs.add(new DisabledVerb(section, verb));
                }
            }
            default -> {
                if (key.startsWith("_")) {
                    throw new CastsIniException(section, key, "unknown key: use _accepted, _blocked, _offered,"
                            + " _disabled or an absolute path");
                }
                if (!key.startsWith("/")) {
                    throw new CastsIniException(section, key, "invalid key " + quote(key) + ": expected an absolute"
                            + " path or one of _accepted, _blocked, _offered, _disabled");
                }
                interpretOwnOffer(section, key, value);
            }
        }
    }

    /** {@code PATH = CT[:TARGET][(ro)],...}: the section's container offers PATH. */
    private void interpretOwnOffer(String section, String sourcePath, String value) throws CastsIniException {
        String problem = pathProblem(sourcePath);
        if (problem != null) {
            throw new CastsIniException(section, sourcePath, "invalid source path " + quote(sourcePath) + ": "
                    + problem);
        }
        for (String item : items(section, sourcePath, value)) {
            Suffixed offer = suffix(section, sourcePath, item, true);
            int colon = offer.text().indexOf(":/"); // a receiver may be qualified (lxc:web); a target starts with '/'
            if (colon < 0 && offer.text().indexOf(':') >= 0 && !containerNameValid(offer.text().trim())) {
                colon = offer.text().lastIndexOf(':'); // CT:relative, refused below as a path problem
            }
            String receiver = (colon < 0 ? offer.text() : offer.text().substring(0, colon)).trim();
            String target = colon < 0 ? sourcePath : offer.text().substring(colon + 1).trim();
            String receiverProblem = containerNameProblem(receiver);
            if (receiverProblem != null) {
                throw new CastsIniException(section, sourcePath, "invalid receiver " + quote(item) + ": "
                        + receiverProblem);
            }
            if (receiver.equals(section)) {
                throw new CastsIniException(section, sourcePath, "invalid receiver " + quote(item)
                        + ": a container cannot offer to itself");
            }
            requirePath(section, sourcePath, "target", item, target);
            addOffer(section, sourcePath, item, new Offer(section, sourcePath, receiver, target, offer.readOnly()));
        }
    }

    private static boolean containerNameValid(String name) {
        return containerNameProblem(name) == null;
    }

    /** {@code SOURCE:PATH} as in _accepted and _offered: returns {source, path}. */
    private static String[] sourceAndPath(String section, String key, String item, String text)
            throws CastsIniException {
        int colon = text.indexOf(":/"); // a source may be qualified (lxc:web); a path starts with '/'
        if (colon < 0) colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new CastsIniException(section, key, "invalid item " + quote(item) + ": expected SOURCE:PATH,"
                    + " e.g. 104:/var/tmp or host:/usr/portage");
        }
        String source = text.substring(0, colon).trim();
        String path = text.substring(colon + 1).trim();
        String problem = ownerProblem(source);
        if (problem != null) {
            throw new CastsIniException(section, key, "invalid source " + quote(item) + ": " + problem + ", or host");
        }
        if (source.equals(section)) {
            throw new CastsIniException(section, key, "invalid source " + quote(item) + ": " + section
                    + " cannot share with itself");
        }
        requirePath(section, key, "path", item, path);
        return new String[] {source, path};
    }

    private static void requirePath(String section, String key, String what, String item, String path)
            throws CastsIniException {
        String problem = pathProblem(path);
        if (problem != null) {
            throw new CastsIniException(section, key, "invalid " + what + " " + quote(item) + ": " + problem);
        }
    }

    /** Same owner, source and receiver must mean the same offer wherever it is written. */
    private void addOffer(String section, String key, String item, Offer offer) throws CastsIniException {
        ShareKey share = new ShareKey(offer.owner(), offer.sourcePath(), offer.receiver());
        String where = "[" + section + "] " + key;
        Found earlier = offers.putIfAbsent(share, new Found(offer, where));
        if (earlier != null && !earlier.offer().equals(offer)) {
            Offer e = earlier.offer();
            throw new CastsIniException(section, key, "conflicting offer " + quote(item) + ": " + earlier.where()
                    + " offers " + e.owner() + ":" + e.sourcePath() + " to " + e.receiver() + " at " + e.targetPath()
                    + (e.readOnly() ? " read-only" : " read-write"));
        }
    }

    /** Splits a comma list; whitespace around items is ignored, an empty item is an error. */
    private static List<String> items(String section, String key, String value) throws CastsIniException {
        if (value.isBlank()) {
            throw new CastsIniException(section, key, "empty value: write None, or list items separated by ','");
        }
        List<String> items = new ArrayList<>();
        for (String raw : value.split(",", -1)) {
            String item = raw.trim();
            if (item.isEmpty()) {
                throw new CastsIniException(section, key, "empty item in " + quote(value));
            }
            if (key.startsWith("_") && (item.equalsIgnoreCase(NONE) || item.equalsIgnoreCase(ALL))) {
                throw new CastsIniException(section, key, quote(item) + " must stand alone, not in a list: "
                        + quote(value));
            }
            items.add(item);
        }
        return items;
    }

    /** Strips a trailing {@code (ro)}; paths never end in ')', so any other '(...)' is an error. */
    private static Suffixed suffix(String section, String key, String item, boolean allowed)
            throws CastsIniException {
        if (!item.endsWith(")")) return new Suffixed(item, false);
        int open = item.lastIndexOf('(');
        String suffix = open < 0 ? ")" : item.substring(open);
        if (!allowed) {
            throw new CastsIniException(section, key, "unexpected suffix " + quote(suffix) + " in " + quote(item)
                    + ": only offers take (ro)");
        }
        if (!suffix.equals(RO_SUFFIX)) {
            throw new CastsIniException(section, key, "invalid suffix " + quote(suffix) + " in " + quote(item)
                    + ": only (ro) is allowed; without it the offer is read-write");
        }
        return new Suffixed(item.substring(0, open).trim(), true);
    }

    private static boolean isWord(String value, String word) {
        return value.trim().equalsIgnoreCase(word);
    }
}
