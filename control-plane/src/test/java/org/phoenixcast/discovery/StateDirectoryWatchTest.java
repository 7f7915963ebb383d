package org.phoenixcast.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.LinuxInotify;

class StateDirectoryWatchTest {
    @TempDir
    Path tmp;

    private static boolean concerned(StateDirectoryWatch w, List<Inotify.Event> events) {
        boolean any = false;
        for (Inotify.Event e : events) any |= w.concerns(e);
        return any;
    }

    @Test
    void watchesTheNearestAncestorUntilTheDirectoryAppearsAndIgnoresOtherNames() throws Exception {
        Path dir = tmp.resolve("a/b/state");
        try (LinuxInotify inotify = LinuxInotify.create()) {
            StateDirectoryWatch w = new StateDirectoryWatch(inotify, dir, Inotify.IN_CREATE);
            assertThat(w.arm()).isTrue();
            assertThat(w.watchesDirectory()).isFalse();
            assertThat(w.arm()).as("nothing new").isFalse();

            Files.createDirectory(tmp.resolve("unrelated"));
            assertThat(concerned(w, inotify.awaitEvents(2000))).isFalse();

            Files.createDirectory(tmp.resolve("a"));
            assertThat(concerned(w, inotify.awaitEvents(2000))).isTrue();
            assertThat(w.arm()).isTrue(); // now on a
            Files.createDirectories(dir); // b and state at once: the watch on a sees only b
            assertThat(concerned(w, inotify.awaitEvents(2000))).isTrue();
            assertThat(w.arm()).isTrue();
            assertThat(w.watchesDirectory()).isTrue();

            Files.createFile(dir.resolve("anything"));
            assertThat(concerned(w, inotify.awaitEvents(2000))).isTrue();
        }
    }

    @Test
    void watchesAgainAfterTheDirectoryWasRemovedAndMadeAgain() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("state"));
        try (LinuxInotify inotify = LinuxInotify.create()) {
            StateDirectoryWatch w = new StateDirectoryWatch(inotify, dir, Inotify.IN_CREATE);
            assertThat(w.arm()).isTrue();
            Files.delete(dir);
            assertThat(concerned(w, inotify.awaitEvents(2000))).isTrue(); // IN_DELETE_SELF
            assertThat(w.arm()).isTrue(); // the parent now
            assertThat(w.watchesDirectory()).isFalse();
            Files.createDirectory(dir);
            assertThat(concerned(w, inotify.awaitEvents(2000))).isTrue();
            assertThat(w.arm()).isTrue();
            assertThat(w.watchesDirectory()).isTrue();
            Files.createFile(dir.resolve("x"));
            assertThat(concerned(w, inotify.awaitEvents(2000))).isTrue();
        }
    }
}
