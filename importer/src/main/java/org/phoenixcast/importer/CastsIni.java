package org.phoenixcast.importer;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Reads and writes casts.ini, the design note's configuration of offers, acceptances, blocks and
 * publications. A pure library: no database, no file other than the one named, no global state.
 *
 * <p>Contract: {@code read(write(c))} equals {@code c} for every {@link CastsConfig}, and
 * {@code write} checks that before it hands out a byte. The file is trusted to the extent that
 * its author is the admin; every value is still validated and quoted safely in messages.
 */
public final class CastsIni {
    private CastsIni() {}

    /** Parses casts.ini text. Throws {@link CastsIniException} naming section, key and value. */
    public static CastsConfig read(Reader in) throws IOException {
        return CastsIniReader.read(in);
    }

    /** Parses a UTF-8 casts.ini file. */
    public static CastsConfig read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in);
        } catch (CharacterCodingException e) {
            throw new CastsIniException(null, null, file + " is not valid UTF-8", e);
        }
    }

    /** Writes {@code config} in canonical form. The writer is not closed. */
    public static void write(CastsConfig config, Writer out) throws IOException {
        out.write(render(config));
        out.flush();
    }

    /**
     * Writes {@code config} to {@code file} in UTF-8, replacing it atomically: a temporary file in
     * the same folder is written and renamed over it, so a reader never sees half a file. An
     * existing file's permission bits are kept; its owner is the writer's.
     */
    public static void write(CastsConfig config, Path file) throws IOException {
        String text = render(config);
        Path folder = file.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(folder, "." + file.getFileName(), ".tmp");
        try {
            if (Files.exists(file) && Files.getFileStore(file).supportsFileAttributeView("posix")) {
                // createTempFile makes it 0600; keep the mode the admin gave the file.
                Files.setPosixFilePermissions(temporary, Files.getPosixFilePermissions(file));
            }
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * The canonical text, verified by reading it back: if ini4j ever changed something on the way
     * out, this fails loudly instead of writing a file that means something else.
     */
    private static String render(CastsConfig config) {
        if (config == null) throw new IllegalArgumentException("config must not be null");
        String text = CastsIniWriter.render(config);
        CastsConfig again;
        try {
            again = read(new StringReader(text));
        } catch (IOException e) {
            throw new IllegalStateException("casts.ini written for " + config + " does not read back: "
                    + e.getMessage(), e);
        }
        if (!again.equals(config)) {
            throw new IllegalStateException("casts.ini written for " + config + " reads back as " + again);
        }
        return text;
    }
}
