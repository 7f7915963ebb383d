package org.phoenixcast.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a request file's bytes into request lines: strict UTF-8, no NUL, at most
 * {@code maxLines} lines. A file ending in "\n" has no extra empty line; an empty file is one
 * empty line (the command without arguments). Pure.
 */
public final class RequestBody {
    private RequestBody() {}

    /** Validated text of the file, or an IllegalArgumentException with a reason fit for the guest. */
    public static String decode(byte[] untrustedContent) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(untrustedContent)).toString();
            if (text.indexOf('\0') >= 0) throw new IllegalArgumentException("request contains a NUL byte");
            return text;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("request is not valid UTF-8");
        }
    }

    public static List<String> lines(String body, int maxLines) {
        String text = body.endsWith("\n") ? body.substring(0, body.length() - 1) : body;
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (lines.size() > maxLines) {
            throw new IllegalArgumentException("request has " + lines.size() + " lines; at most " + maxLines + " allowed");
        }
        lines.replaceAll(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
        return lines;
    }
}
