package org.phoenixcast.guest;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Plays castd's side of the drop-directory protocol: takes each {@code VERB.TAG} request out of
 * the drop directory (ignoring dot-names, as castd does), records it, and answers in the replies
 * directory with an atomic rename. The replier decides the reply; {@code null} means "take the
 * request but never answer".
 */
final class FakeCastd implements AutoCloseable {

  /** One request as castd saw it; {@code content} is untrusted guest input, byte for byte. */
  record Request(String fileName, String verb, String tag, String content) {}

  /** How often the fake looks at the drop directory; well under the script's 50 ms poll. */
  private static final long POLL_MILLIS = 10;

  private final Path drop;
  private final Path replies;
  private final Function<Request, String> replier;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fake-castd");
            t.setDaemon(true);
            return t;
          });

  private FakeCastd(Path drop, Path replies, Function<Request, String> replier) {
    this.drop = drop;
    this.replies = replies;
    this.replier = replier;
  }

  static FakeCastd start(Path drop, Path replies, Function<Request, String> replier) {
    FakeCastd castd = new FakeCastd(drop, replies, replier);
    castd.poller.scheduleWithFixedDelay(castd::poll, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
    return castd;
  }

  static FakeCastd replying(Path drop, Path replies, String reply) {
    return start(drop, replies, request -> reply);
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  private void poll() {
    try (DirectoryStream<Path> names = Files.newDirectoryStream(drop)) {
      for (Path file : names) {
        String name = file.getFileName().toString();
        if (!name.startsWith(".")) {
          take(file, name);
        }
      }
    } catch (IOException | RuntimeException e) {
      failures.add(e);
    }
  }

  private void take(Path file, String name) throws IOException {
    String content;
    try {
      content = Files.readString(file, UTF_8);
      Files.delete(file);
    } catch (NoSuchFileException withdrawn) {
      return; // the guest took it back (timeout or signal) before we got to it
    }
    int dot = name.indexOf('.');
    Request request =
        dot < 0
            ? new Request(name, name, "", content)
            : new Request(name, name.substring(0, dot), name.substring(dot + 1), content);
    requests.add(request);
    String reply = replier.apply(request);
    if (reply != null) {
      Path tmp = replies.resolve(".tmp." + name);
      Files.writeString(tmp, reply, UTF_8);
      Files.move(tmp, replies.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** Stops polling; throws if the fake itself failed, since then no test result means anything. */
  @Override
  public void close() throws InterruptedException {
    poller.shutdownNow();
    if (!poller.awaitTermination(5, TimeUnit.SECONDS)) {
      throw new IllegalStateException("fake castd did not stop");
    }
    if (!failures.isEmpty()) {
      AssertionError error = new AssertionError("fake castd failed");
      failures.forEach(error::addSuppressed);
      throw error;
    }
  }
}
