package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.phoenixcast.linux.NamespaceThread;
import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.linux.TestContainer;
import org.phoenixcast.linux.UsernsTestContainer;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.GuestPath;

/**
 * After start-up, the namespace thread must never load a class: inside a guest a class load
 * from a directory class path would resolve in the guest's file system. JFR records every
 * class load with its thread; none may come from castd-mntns after warm-up.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "busybox", "chown"})
class NamespaceWarmUpIT {

    @Test
    void noClassIsLoadedOnTheNamespaceThreadAfterWarmUp() throws Exception {
        Path share = Files.createTempDirectory("pc-warm");
        Path jfr = Files.createTempFile("pc-warm", ".jfr");
        try (LinuxMountFacade facade = LinuxMountFacade.start();
             TestContainer owner = TestContainer.start();
             TestContainer receiver = TestContainer.start()) {
            owner.check("mkdir /data && ln -s / /link && echo x > /file");
            receiver.check("ln -s /proc/self/root /magic && echo x > /file");
            try (Recording recording = new Recording()) {
                recording.enable("jdk.ClassLoad");
                recording.enable("jdk.ClassDefine");
                recording.start();
                try (ContainerHandle o = facade.open(owner.pid()); ContainerHandle r = facade.open(receiver.pid())) {
                    long a = facade.inject(r, new MountSpec(new MountSource.HostPath(share), GuestPath.parse("/a/b"),
                            Access.READ_ONLY, true));
                    long b = facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse("/data")),
                            GuestPath.parse("/c"), Access.READ_WRITE, false));
                    for (String bad : List.of("/magic/x", "/file", "/file/x")) {
                        assertThatThrownBy(() -> facade.inject(r, new MountSpec(new MountSource.HostPath(share),
                                GuestPath.parse(bad), Access.READ_ONLY, false))).isInstanceOf(MountRefused.class);
                    }
                    for (String bad : List.of("/missing", "/file", "/link/proc")) {
                        assertThatThrownBy(() -> facade.inject(r, new MountSpec(new MountSource.GuestFolder(o,
                                GuestPath.parse(bad)), GuestPath.parse("/d"), Access.READ_ONLY, false)))
                                .isInstanceOf(MountRefused.class);
                    }
                    facade.detach(r, GuestPath.parse("/a/b"), a + 1);
                    facade.detach(r, GuestPath.parse("/a/b"), a);
                    facade.detach(r, GuestPath.parse("/c"), b);
                }
                recording.stop();
                recording.dump(jfr);
            }
            List<String> loadedThere = RecordingFile.readAllEvents(jfr).stream()
                    .filter(e -> e.getThread() != null && NamespaceThread.THREAD_NAME.equals(e.getThread().getJavaName()))
                    .map(NamespaceWarmUpIT::describe)
                    // JFR's own exception tracer is loaded by the recording itself the first time
                    // any Throwable is made on the thread (an expected errno): not castd's code
                    .filter(d -> !d.contains(" jdk.jfr.internal."))
                    .toList();
            assertThat(loadedThere).isEmpty();
        } finally {
            Files.deleteIfExists(jfr);
            Files.deleteIfExists(share);
        }
    }

    /**
     * The idmap steps inside owners (statmount, the file-system probe, open_tree_attr of an
     * idmapped source) load nothing on the namespace thread either.
     */
    @Test
    void noClassIsLoadedOnTheNamespaceThreadByIdmappedShares() throws Exception {
        Path share = Files.createTempDirectory("pc-warm-idmap");
        Path jfr = Files.createTempFile("pc-warm-idmap", ".jfr");
        try (LinuxMountFacade facade = LinuxMountFacade.start();
             UsernsTestContainer owner = UsernsTestContainer.start(100000, 65536);
             UsernsTestContainer receiver = UsernsTestContainer.start(200000, 65536)) {
            owner.check("mkdir -p /data/own && mount -t tmpfs own /data/own");
            try (ContainerHandle o = facade.open(owner.pid()); ContainerHandle r = facade.open(receiver.pid())) {
                facade.inject(o, new MountSpec(new MountSource.HostPath(share), GuestPath.parse("/mapped"),
                        Access.READ_WRITE, false));
                try (Recording recording = new Recording()) {
                    recording.enable("jdk.ClassLoad");
                    recording.enable("jdk.ClassDefine");
                    recording.start();
                    for (String source : List.of("/data", "/data/own", "/mapped")) {
                        for (Access access : Access.values()) {
                            facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse(source)),
                                    GuestPath.parse("/in" + source + "-" + access), access, false));
                        }
                    }
                    recording.stop();
                    recording.dump(jfr);
                }
            }
            List<String> loadedThere = RecordingFile.readAllEvents(jfr).stream()
                    .filter(e -> e.getThread() != null && NamespaceThread.THREAD_NAME.equals(e.getThread().getJavaName()))
                    .map(NamespaceWarmUpIT::describe)
                    // JFR's own exception tracer is loaded by the recording itself the first time
                    // any Throwable is made on the thread (an expected errno): not castd's code
                    .filter(d -> !d.contains(" jdk.jfr.internal."))
                    .toList();
            assertThat(loadedThere).isEmpty();
        } finally {
            Files.deleteIfExists(jfr);
            Files.deleteIfExists(share);
        }
    }

    private static String describe(RecordedEvent e) {
        Object type = e.hasField("loadedClass") ? e.getValue("loadedClass") : e.getValue("definedClass");
        return e.getEventType().getName() + " " + (type instanceof jdk.jfr.consumer.RecordedClass c ? c.getName() : type);
    }
}
