package org.phoenixcast.importer.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.importer.CastsConfig;
import org.phoenixcast.importer.CastsIni;
import org.phoenixcast.importer.CastsIniException;

/**
 * casts.ini from any text: {@link CastsIni#read} either accepts it or throws a
 * {@link CastsIniException} with a one-line message, never another exception; and an accepted
 * config survives {@code write} then {@code read} unchanged, in a canonical form that writing
 * again reproduces byte for byte.
 *
 * <p>The seeds in {@code CastsIniFuzzTestInputs/} are casts.ini files (UTF-8); plain
 * {@code mvn test} replays them, {@code JAZZER_FUZZ=1} fuzzes for {@code maxDuration}.
 */
class CastsIniFuzzTest {

    @BeforeAll
    static void hookNothingUnlessFuzzing() {
        QuietReplay.hookNothingUnlessFuzzing();
    }

    @FuzzTest(maxDuration = "20s")
    void castsIniIsRefusedWithCastsIniExceptionOrRoundTrips(byte[] input) throws IOException {
        String text = new String(input, StandardCharsets.UTF_8);
        CastsConfig config;
        try {
            config = CastsIni.read(new StringReader(text));
        } catch (CastsIniException e) {
            assertThat(e.getMessage()).as("message of %s", e).startsWith("casts.ini").doesNotContain("\n")
                    .doesNotContain("\r");
            return;
        }
        StringWriter written = new StringWriter();
        CastsIni.write(config, written);
        CastsConfig again = CastsIni.read(new StringReader(written.toString()));
        assertThat(again).isEqualTo(config);
        StringWriter rewritten = new StringWriter();
        CastsIni.write(again, rewritten);
        assertThat(rewritten.toString()).isEqualTo(written.toString());
    }
}
