package org.phoenixcast.guest;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A guest in a temp directory: the script installed under every verb name (as castd would in
 * /syscmd), a drop and a replies directory, and a {@code PATH} holding only the tools the script
 * declares, so a stray external command fails the test instead of passing on this host.
 */
final class Guest {

  static final String RESOURCE = "org/phoenixcast/guest/phoenix-cast";
  static final List<String> VERBS =
      List.of("cast", "ucast", "caston", "castoff", "castblock", "showcast");

  /** The tools the script's header promises to limit itself to; PATH holds nothing else. */
  static final List<String> TOOLS = List.of("basename", "cat", "date", "mv", "rm", "sleep", "tr");

  /** Long enough for a loaded CI box, short enough that a broken test does not hang for long. */
  private static final String TEST_TIMEOUT_SECONDS = "5";

  /** Upper bound for one run; the script's own timeout must always fire well before it. */
  private static final long PROCESS_LIMIT_SECONDS = 30;

  record Result(int exit, String stdout, String stderr) {}

  private final Path dir;
  private final Shell shell;
  private final Path syscmd;
  private final Path bin;
  private final Path drop;
  private final Path replies;
  private final AtomicInteger runs = new AtomicInteger();

  Guest(Path dir, Shell shell) throws IOException {
    this.dir = dir;
    this.shell = shell;
    this.syscmd = Files.createDirectory(dir.resolve("syscmd"));
    this.bin = Files.createDirectory(dir.resolve("bin"));
    this.drop = Files.createDirectory(dir.resolve("drop"));
    this.replies = Files.createDirectory(dir.resolve("replies"));
    byte[] script = script();
    for (String verb : VERBS) {
      Files.write(syscmd.resolve(verb), script);
    }
    Files.write(syscmd.resolve("phoenix-cast"), script);
    shell.linkTools(bin, TOOLS);
  }

  static byte[] script() throws IOException {
    try (InputStream in = Guest.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the test classpath");
      }
      return in.readAllBytes();
    }
  }

  Path drop() {
    return drop;
  }

  Path replies() {
    return replies;
  }

  FakeCastd castd(String reply) {
    return FakeCastd.replying(drop, replies, reply);
  }

  /** Every name in the drop directory, dot-names included. */
  List<String> dropListing() throws IOException {
    try (Stream<Path> files = Files.list(drop)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  Result run(String verb, List<String> args) throws IOException, InterruptedException {
    return run(Map.of(), verb, args);
  }

  Result run(Map<String, String> env, String verb, List<String> args)
      throws IOException, InterruptedException {
    return start(env, verb, args).await();
  }

  /** Starts the verb without waiting for it; {@code env} adds to or overrides the test's. */
  Running start(Map<String, String> env, String verb, List<String> args) throws IOException {
    int n = runs.incrementAndGet();
    Path out = dir.resolve("run-" + n + ".out");
    Path err = dir.resolve("run-" + n + ".err");
    ProcessBuilder builder = new ProcessBuilder(shell.command(syscmd.resolve(verb), args));
    builder.directory(dir.toFile());
    Map<String, String> environment = builder.environment();
    environment.clear();
    environment.put("PATH", bin.toString());
    environment.put("CAST_DROP_DIR", drop.toString());
    environment.put("CAST_REPLY_DIR", replies.toString());
    environment.put("CAST_TIMEOUT", TEST_TIMEOUT_SECONDS);
    environment.putAll(env);
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.redirectOutput(out.toFile());
    builder.redirectError(err.toFile());
    return new Running(builder.start(), out, err, verb + " " + args);
  }

  /** A started verb; its output goes to files, so a chatty script can never block on a pipe. */
  record Running(Process process, Path out, Path err, String what) {

    Result await() throws IOException, InterruptedException {
      if (!process.waitFor(PROCESS_LIMIT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(what + " still running after " + PROCESS_LIMIT_SECONDS + " s");
      }
      return new Result(
          process.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
    }
  }
}
