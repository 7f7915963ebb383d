package org.phoenixcast.tui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConsoleTest {
    @Test
    void saysItIsNotImplementedAndExitsTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Console.run(new String[0], new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, exit);
        assertEquals(Console.NOT_IMPLEMENTED_MESSAGE + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void ignoresArgumentsUntilImplemented() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Console.run(new String[] {"--help"}, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(Console.NOT_IMPLEMENTED, exit);
        assertEquals(1, err.toString(StandardCharsets.UTF_8).lines().count());
    }
}
