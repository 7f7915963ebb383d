package org.phoenixcast.protocol;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.phoenixcast.model.Printable;

/**
 * The name of a request file in a drop directory: {@code WORD} or {@code WORD.TAG}, WORD and TAG
 * made of letters, digits, '_' and '-' (at most 64 each). The word is not yet known to be a verb:
 * an unknown word still gets a reply under the same (safe) name. The tag only names the reply;
 * it never says who asked: identity is the directory the file appeared in.
 */
public record RequestName(String word, Optional<String> tag) {
    private static final Pattern VALID = Pattern.compile("([A-Za-z0-9_-]{1,64})(?:\\.([A-Za-z0-9_-]{1,64}))?");

    /** Names starting with '.' are a guest's temporary files (write, then rename): never requests. */
    public static boolean isTemporary(String untrustedName) {
        return untrustedName.startsWith(".");
    }

    /** @throws IllegalArgumentException naming the file when it is not a valid request name */
    public static RequestName parse(String untrustedName) {
        Matcher m = VALID.matcher(untrustedName);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid request file name " + Printable.quote(untrustedName)
                    + ": expected VERB or VERB.TAG (letters, digits, '_', '-')");
        }
        return new RequestName(m.group(1), Optional.ofNullable(m.group(2)));
    }

    /** The reply's file name in /syscmd/replies: the request's own name. */
    public String replyName() {
        return tag.map(t -> word + "." + t).orElse(word);
    }
}
