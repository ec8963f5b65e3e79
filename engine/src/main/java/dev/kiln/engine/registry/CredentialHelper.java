package dev.kiln.engine.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A Docker credential helper, {@code docker-credential-<name>}, run with {@code get}, {@code store}
 * or {@code erase} and the server on stdin, as Docker's credential-helper protocol says. Found on a
 * search path the caller gives (so tests need not touch the real {@code PATH}).
 */
final class CredentialHelper {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final long TIMEOUT_SECONDS = 60;
  private static final int MAX_OUTPUT = 64 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What helpers print when they hold nothing for a server (docker-credential-helpers). */
  private static final String NOT_FOUND = "credentials not found";

  private final String name;
  private final List<Path> searchPath;
  private final String configuredIn;

  /** {@code configuredIn} names the setting that chose this helper, for error messages. */
  CredentialHelper(String name, List<Path> searchPath, String configuredIn) throws IOException {
    if (!NAME.matcher(name).matches()) {
      throw new IOException(
          configuredIn + ": invalid credential helper name \"" + Texts.excerpt(name) + "\"");
    }
    this.name = name;
    this.searchPath = List.copyOf(searchPath);
    this.configuredIn = configuredIn;
  }

  String command() {
    return "docker-credential-" + name;
  }

  /** The credentials the helper holds for {@code server}; empty when it holds none. */
  Optional<Credentials> get(String server) throws IOException {
    Result result = run("get", server);
    if (result.exit != 0) {
      if (result.stdout.contains(NOT_FOUND) || result.stderr.contains(NOT_FOUND)) {
        return Optional.empty();
      }
      throw failure("get", result);
    }
    JsonNode reply;
    try {
      reply = JSON.readTree(result.stdout);
    } catch (JsonProcessingException e) {
      throw new IOException(command() + " get: its answer is not JSON: " + e.getOriginalMessage());
    }
    if (reply == null || !reply.path("Username").isTextual() || !reply.path("Secret").isTextual()) {
      throw new IOException(
          command() + " get: its answer lacks the \"Username\" and \"Secret\" strings");
    }
    String username = reply.path("Username").asText();
    String secret = reply.path("Secret").asText();
    if (username.equals("<token>")) {
      return Optional.of(new Credentials("", "", Optional.of(secret)));
    }
    return Optional.of(Credentials.of(username, secret));
  }

  /** Hands {@code credentials} for {@code server} to the helper. */
  void store(String server, Credentials credentials) throws IOException {
    ObjectNode request = JSON.createObjectNode();
    request.put("ServerURL", server);
    request.put("Username", credentials.username());
    request.put("Secret", credentials.password());
    Result result = run("store", JSON.writeValueAsString(request));
    if (result.exit != 0) {
      throw failure("store", result);
    }
  }

  /** Makes the helper forget {@code server}; false when it held nothing. */
  boolean erase(String server) throws IOException {
    Result result = run("erase", server);
    if (result.exit != 0) {
      if (result.stdout.contains(NOT_FOUND) || result.stderr.contains(NOT_FOUND)) {
        return false;
      }
      throw failure("erase", result);
    }
    return true;
  }

  private record Result(int exit, String stdout, String stderr) {}

  private Result run(String action, String input) throws IOException {
    Path executable = locate();
    Process process = new ProcessBuilder(executable.toString(), action).start();
    // The helper may write before it has read all of stdin: drain its output concurrently.
    CompletableFuture<String> stdout = drain(process.getInputStream());
    CompletableFuture<String> stderr = drain(process.getErrorStream());
    try (OutputStream in = process.getOutputStream()) {
      in.write(input.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // A helper that exits without reading is judged by its exit status and output below.
    }
    try {
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(
            command() + " " + action + " did not finish within " + TIMEOUT_SECONDS + " s");
      }
      return new Result(process.exitValue(), stdout.join(), stderr.join());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(command() + " " + action + " was interrupted", e);
    }
  }

  private Path locate() throws IOException {
    for (Path dir : searchPath) {
      Path candidate = dir.resolve(command());
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IOException(
        "credential helper "
            + command()
            + " ("
            + configuredIn
            + ") is not on the PATH; install it or remove the setting");
  }

  private IOException failure(String action, Result result) {
    String said = (result.stderr + " " + result.stdout).strip();
    return new IOException(
        command()
            + " "
            + action
            + " failed (exit "
            + result.exit
            + ")"
            + (said.isEmpty() ? "" : ": " + Texts.excerpt(said)));
  }

  /** Reads a helper's output on its own thread (the common pool may have a single thread). */
  private static CompletableFuture<String> drain(InputStream stream) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (InputStream in = stream) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buffer = new byte[8192];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                  if (out.size() < MAX_OUTPUT) {
                    out.write(buffer, 0, Math.min(n, MAX_OUTPUT - out.size()));
                  }
                }
                text.complete(out.toString(StandardCharsets.UTF_8));
              } catch (IOException e) {
                text.complete("");
              }
            },
            "kiln-credential-helper-output");
    reader.setDaemon(true);
    reader.start();
    return text;
  }
}
