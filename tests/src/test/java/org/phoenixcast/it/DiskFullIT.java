package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.phoenixcast.it.support.Replies.firstLine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.CastdJson;
import org.phoenixcast.it.support.CastdJson.HistoryRow;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.testing.RequiresRoot;

/**
 * The host's disk under castd's state directory fills up. castd runs with its state directory
 * on an 8 MiB tmpfs, two sandboxes share a folder, then a filler file takes every free byte.
 * While the disk is full castd must keep the mounts it placed, still answer showcast and the
 * admin, refuse every other request with one line naming the cause, leave no request file
 * unanswered, and serve new requests as soon as the filler is deleted, without a restart; the
 * refusals get their history rows then, and the database opens clean after a restart.
 *
 * <p>Two ways in: castd's own check (it stops writing while less than its 1 MiB reserve is
 * free) and, with that check turned off, H2 itself hitting ENOSPC (the store closes itself and
 * must reopen when space returns).
 */
@RequiresRoot(tools = {"mount", "umount", "unshare", "nsenter"})
class DiskFullIT {
    private static final long STATE_TMPFS_BYTES = 8L << 20;
    /** castd's default reserve (StateDisk.RESERVE_BYTES): below this much free space it stops writing. */
    private static final long CASTD_RESERVE_BYTES = 1L << 20;
    private static final String REFUSAL = "error: the host's state disk is full: castd takes no new requests until space"
            + " returns; try again later\n";
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration REPLY_POLL = Duration.ofMillis(1);

    private CastdProcess castd;

    @AfterEach
    void stop() throws IOException {
        if (castd != null) castd.close();
    }

    @Test
    void castdStopsWritingBeforeTheDiskIsFullServesWhatItCanAndRecovers() throws Exception {
        castd = CastdProcess.start(Map.of(), null, STATE_TMPFS_BYTES);
        run("castd's reserve", true);
    }

    @Test
    void castdSurvivesH2RunningOutOfSpaceAndReopensTheDatabase() throws Exception {
        castd = CastdProcess.start(Map.of(), "-Dphoenixcast.stateReserveBytes=0", STATE_TMPFS_BYTES);
        run("H2's ENOSPC", false);
    }

    private void run(String label, boolean showcastServed) throws Exception {
        DropGuest a = DropGuest.sandbox(castd, "a");
        DropGuest b = DropGuest.sandbox(castd, "b");
        // Prepared on the host side of a's root (trusted test code; no guest symlinks there).
        Files.createDirectories(a.hostRoot().resolve("data2"));
        Files.writeString(Files.createDirectories(a.hostRoot().resolve("data")).resolve("f"), "shared\n");
        assertThat(requestOnHost(a, "cast.1", "/data b\n")).startsWith("ok");
        assertThat(requestOnHost(b, "caston.1", "a:/data\n")).startsWith("ok").contains("mounted");

        Path filler = castd.stateDir().resolve("filler");
        // castd's reserve: another process fills the disk until less than half the reserve is free
        // (castd must stop writing; H2's own housekeeping keeps the rest). H2's ENOSPC: to the brim.
        long filled = fill(filler, showcastServed ? CASTD_RESERVE_BYTES / 2 : 0);
        long filledAt = System.nanoTime();
        // Without castd's reserve, H2 may still find room inside its file for a few commits:
        // requests are served until its first write fails (then it closes the database).
        // A probe H2 took into the queue just before its own write failed gets no answer while the
        // disk is full (queued requests wait for space); it must be answered once space returns.
        int servedBeforeRefusal = 0;
        String waitingProbe = null;
        if (!showcastServed) {
            while (servedBeforeRefusal < 200) {
                String probe = "showcast.probe" + servedBeforeRefusal;
                Optional<String> reply = requestOnHostWithin(b, probe, "\n", Duration.ofSeconds(15));
                if (reply.isEmpty()) {
                    waitingProbe = probe;
                    break;
                }
                if (reply.get().equals(REFUSAL)) break;
                servedBeforeRefusal++;
            }
        }
        String showcast = requestOnHost(b, "showcast.full", "\n");
        String castoff = requestOnHost(b, "castoff.full", "a:/data\n");
        String cast = requestOnHost(a, "cast.full", "/data2 b\n");
        boolean adminServed = castd.castctl("status").succeeded();
        boolean mountKept = b.mountPoints().contains("/data")
                && Files.readString(Path.of("/proc", Integer.toString(b.pid()), "root", "data", "f")).equals("shared\n");
        List<String> leftInDrops = Stream.concat(a.dropEntries().stream(), b.dropEntries().stream()).toList();

        Files.delete(filler);
        long freedAt = System.nanoTime();
        String recoveredReply = null;
        int attempts = 0;
        while (System.nanoTime() - freedAt < RECOVERY_TIMEOUT.toNanos()) {
            recoveredReply = requestOnHost(a, "cast.retry" + attempts++, "/data2 b\n");
            if (!recoveredReply.equals(REFUSAL)) break;
            Thread.sleep(20);
        }
        long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - freedAt);
        String waitingProbeReply = waitingProbe == null ? null : awaitReply(b, waitingProbe, Duration.ofSeconds(30));
        String accepted = requestOnHost(b, "caston.after", "a:/data2\n");
        String showcastAfter = requestOnHost(b, "showcast.after", "\n");
        List<HistoryRow> refusedRows = CastdJson.history(castd).stream()
                .filter(r -> r.outcome().equals("refused") && r.reason().equals(REFUSAL.substring(7).strip())).toList();
        int queued = CastdJson.queued(castd);

        // After H2's own failure the database must reopen clean with everything committed.
        String showcastRestarted = showcastAfter;
        if (!showcastServed) {
            castd.stop();
            castd.restart();
            showcastRestarted = requestOnHost(b, "showcast.restarted", "\n");
        }
        List<String> dbModes;
        try (Stream<Path> files = Files.list(castd.stateDir().resolve("db"))) {
            dbModes = files.map(f -> f.getFileName() + " " + mode(f)).sorted().toList();
        }

        System.out.printf("DiskFullIT (%s): filled %d KiB; %d requests served before the first refusal; while full: showcast %s, castoff %s, cast %s, castctl status %s,"
                        + " mount kept %s%n", label, filled / 1024, servedBeforeRefusal, firstLine(showcast), firstLine(castoff), firstLine(cast),
                adminServed ? "ok" : "failed", mountKept);
        System.out.printf("DiskFullIT (%s): first request served %d ms after the filler was deleted (%d attempts, full for"
                + " %d ms); refusals in history: %d rows%n", label, recoveryMillis, attempts,
                TimeUnit.NANOSECONDS.toMillis(freedAt - filledAt), refusedRows.size());

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(servedBeforeRefusal).as("requests served before H2 ran out of space").isLessThan(200);
        if (waitingProbe != null) {
            soft.assertThat(waitingProbeReply).as("the probe queued when H2 failed, answered once space returned")
                    .startsWith("ok");
        }
        if (showcastServed) {
            soft.assertThat(showcast).as("showcast while full").startsWith("ok\n").contains("a:/data");
            soft.assertThat(adminServed).as("castctl status while full").isTrue();
        } else {
            // With H2 closed on ENOSPC nothing can be read either: refused with the same reason.
            soft.assertThat(showcast).as("showcast while full").satisfiesAnyOf(
                    r -> assertThat(r).startsWith("ok\n").contains("a:/data"), r -> assertThat(r).isEqualTo(REFUSAL));
        }
        soft.assertThat(castoff).as("castoff while full").isEqualTo(REFUSAL);
        soft.assertThat(cast).as("cast while full").isEqualTo(REFUSAL);
        soft.assertThat(mountKept).as("b's mount of a:/data while full").isTrue();
        soft.assertThat(leftInDrops).as("request files left unanswered").isEmpty();
        soft.assertThat(recoveredReply).as("a's cast once space returned").startsWith("ok\n").contains("offered /data2 to b");
        soft.assertThat(accepted).as("b's caston once space returned").startsWith("ok\n").contains("mounted");
        soft.assertThat(showcastAfter).as("showcast once space returned").contains("a:/data").contains("a:/data2");
        soft.assertThat(refusedRows).as("history rows for the refusals made while full")
                .extracting(HistoryRow::container).contains("a", "b");
        soft.assertThat(queued).as("requests left in the queue").isZero();
        soft.assertThat(showcastRestarted).as("showcast after a restart on the same database").isEqualTo(showcastAfter);
        soft.assertThat(b.mountPoints()).as("b's mounts after the restart").contains("/data", "/data2");
        soft.assertThat(dbModes).as("database files").allSatisfy(m -> assertThat(m).endsWith(" rw-------"));
        soft.assertAll();
    }

    /** Writes {@code filler} until the file system refuses (ENOSPC); returns the bytes written. */
    /** Fills the state disk until at most {@code leave} bytes are free; returns the bytes written. */
    private static long fill(Path filler, long leave) throws IOException {
        byte[] block = new byte[64 * 1024];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (Files.getFileStore(filler).getUsableSpace() > leave + block.length) {
                out.write(block);
                out.flush();
                written += block.length;
            }
            if (leave > 0) {
                assertThat(Files.getFileStore(filler).getUsableSpace()).as("free bytes after filling")
                        .isLessThan(CASTD_RESERVE_BYTES);
                return written;
            }
            while (true) {
                out.write(block);
                written += block.length;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) throw e;
        }
        // Smaller writes take what the last block did not fit into.
        try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
            while (true) {
                out.write(0);
                out.flush();
                written++;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) throw e;
        }
        assertThat(Files.getFileStore(filler).getUsableSpace()).as("free bytes after filling").isLessThan(4096);
        return written;
    }

    /** Writes a request on the host side of the guest's drop tmpfs (dot-name, then rename) and waits for its reply. */
    private String requestOnHost(DropGuest guest, String name, String body) throws IOException {
        return requestOnHostWithin(guest, name, body, Duration.ofSeconds(15)).orElseThrow(() -> noReply(guest, name));
    }

    /** Drops NAME with {@code body} on the host side of the guest's drop directory; its reply, if one comes in time. */
    private Optional<String> requestOnHostWithin(DropGuest guest, String name, String body, Duration timeout)
            throws IOException {
        guest.clearReply(name);
        guest.dropOnHost(name, body);
        return guest.pollReply(name, timeout, REPLY_POLL);
    }

    private String awaitReply(DropGuest guest, String name, Duration timeout) throws IOException {
        return guest.pollReply(name, timeout, REPLY_POLL).orElseThrow(() -> noReply(guest, name));
    }

    private AssertionError noReply(DropGuest guest, String name) {
        List<String> log = castd.log().lines().toList();
        return new AssertionError(guest + ": no reply to " + name + " in time; castd's log ends:\n"
                + String.join("\n", log.subList(Math.max(0, log.size() - 60), log.size())));
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (IOException e) {
            return "?";
        }
    }
}
