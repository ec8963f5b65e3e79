package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.Engine;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.progress.ProgressJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine;

/**
 * A build through a daemon, on the daemon's side: the request a client sends (the Dockerfile's name
 * and the {@code kiln build} options the daemon accepts), checked, and run as {@code kiln build} on
 * the daemon's engine with the uploaded context, its messages and progress events written as JSON
 * lines for the client to show.
 */
public final class RemoteBuild {
  /** The options a client may pass through the daemon; the rest name client or host files. */
  static final Set<String> ALLOWED =
      Set.of(
          "--target",
          "--build-arg",
          "--no-cache",
          "--no-cache-filter",
          "--label",
          "--tag",
          "--push",
          "--explain");

  private static final ObjectMapper JSON = new ObjectMapper();

  private RemoteBuild() {}

  /** What is wrong with a request, for a 400 answer. */
  public static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }

  /** Where the daemon writes the build's lines. */
  @FunctionalInterface
  public interface Lines {
    void line(String json);
  }

  /** Who follows a running build: told how to cancel it, and shown its progress. */
  public interface Watcher {
    /** Told, once the build runs, how to cancel it. */
    void building(Runnable cancel);

    /** Each progress event of the build. */
    void event(ProgressEvent event);
  }

  /**
   * What a client asks: its Dockerfile's file name, the options to build with, and, when it sends
   * only the files the daemon lacks, the key of the daemon's copy of its context.
   */
  public record Request(
      String dockerfile, List<String> args, Optional<String> contextKey, Optional<String> output) {
    public Request {
      args = List.copyOf(args);
    }

    public Request(String dockerfile, List<String> args) {
      this(dockerfile, args, Optional.empty(), Optional.empty());
    }

    /** The request as the {@code Kiln-Build} header's value: base64url of its JSON. */
    public String encode() {
      ObjectNode json = JSON.createObjectNode();
      json.put("dockerfile", dockerfile);
      ArrayNode list = json.putArray("args");
      args.forEach(list::add);
      contextKey.ifPresent(key -> json.put("contextKey", key));
      output.ifPresent(spec -> json.put("output", spec));
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a header value written by {@link #encode}; throws naming what is wrong. */
    public static Request decode(String header) throws BadRequest {
      JsonNode json;
      try {
        json = JSON.readTree(Base64.getUrlDecoder().decode(header));
      } catch (IOException | IllegalArgumentException e) {
        throw new BadRequest("the Kiln-Build header is not base64url-encoded JSON");
      }
      if (json == null || !json.path("dockerfile").isTextual() || !json.path("args").isArray()) {
        throw new BadRequest("the Kiln-Build header needs \"dockerfile\" and \"args\"");
      }
      String name = json.get("dockerfile").asText();
      if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
        throw new BadRequest("\"dockerfile\" must be a file name, got \"" + name + "\"");
      }
      List<String> args = new ArrayList<>();
      for (JsonNode arg : json.get("args")) {
        if (!arg.isTextual()) {
          throw new BadRequest("\"args\" must hold strings");
        }
        args.add(arg.asText());
      }
      Optional<String> key = Optional.empty();
      if (json.has("contextKey")) {
        if (!json.get("contextKey").isTextual()) {
          throw new BadRequest("\"contextKey\" must be a string");
        }
        key = Optional.of(json.get("contextKey").asText());
      }
      Optional<String> output = Optional.empty();
      if (json.has("output")) {
        if (!json.get("output").isTextual()) {
          throw new BadRequest("\"output\" must be a string");
        }
        output = Optional.of(json.get("output").asText());
      }
      return new Request(name, args, key, output);
    }
  }

  /** A checked request, ready to run. */
  public static final class Prepared {
    private final BuildCommand command;
    private final Optional<Path> output;

    private Prepared(BuildCommand command, Optional<Path> output) {
      this.command = command;
      this.output = output;
    }

    /** Where the build writes the archive the client fetches, when it asked for one. */
    public Optional<Path> output() {
      return output;
    }

    /**
     * Runs the build on {@code engine}, writing its lines, and returns its exit code; {@code
     * watcher} sees its events and is given the way to cancel it once it runs.
     */
    public int run(Engine engine, Lines lines, Watcher watcher) {
      int code;
      PrintStream messages = new PrintStream(new LineStream(lines), true, StandardCharsets.UTF_8);
      try {
        code = command.run(sink(messages, lines, watcher), Optional.of(engine));
      } catch (Exception e) {
        messages.println("error: " + e.getMessage());
        code = 1;
      }
      messages.flush();
      return code;
    }
  }

  /** The stream's last line: the exit code {@code kiln build} would have. */
  public static String exitLine(int code) {
    ObjectNode exit = JSON.createObjectNode();
    exit.put("type", "exit");
    exit.put("code", code);
    return exit.toString();
  }

  /**
   * Checks {@code request} against what was uploaded to {@code session} ({@code dockerfile/NAME})
   * and the build context in {@code context}, and parses its options as {@code kiln build} would;
   * {@code secrets} (sent with the upload, held in memory) reach this build's secret mounts only.
   */
  public static Prepared prepare(
      Request request, Path session, Path context, Map<String, byte[]> secrets) throws BadRequest {
    Path dockerfile = session.resolve("dockerfile").resolve(request.dockerfile());
    BuildCommand command = new BuildCommand();
    CommandLine line = new CommandLine(command);
    List<String> argv = new ArrayList<>(request.args());
    Optional<Path> outputFile = Optional.empty();
    if (request.output().isPresent()) {
      outputFile = Optional.of(session.resolve("output"));
      argv.addAll(List.of("--output", fileOutput(request.output().get(), outputFile.get())));
    }
    argv.addAll(List.of("--file", dockerfile.toString(), context.toString()));
    CommandLine.ParseResult parsed;
    try {
      parsed = line.parseArgs(argv.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new BadRequest("bad build options: " + e.getMessage());
    }
    for (CommandLine.Model.OptionSpec option : parsed.matchedOptions()) {
      String name = option.longestName();
      boolean allowed =
          ALLOWED.contains(name)
              || name.equals("--file")
              || (name.equals("--output")
                  && (request.output().isPresent() || isImage(command.output.orElseThrow())));
      if (!allowed) {
        throw new BadRequest(name + " is not supported through the daemon yet");
      }
    }
    if (!Files.isDirectory(context)) {
      throw new BadRequest("the upload has no context/ directory");
    }
    if (!Files.isRegularFile(dockerfile)) {
      throw new BadRequest("the upload has no dockerfile/" + request.dockerfile());
    }
    command.sentSecrets = Map.copyOf(secrets);
    return new Prepared(command, outputFile);
  }

  /** Whether {@code spec} is an image output (no file of either side); throws if malformed. */
  private static boolean isImage(String spec) throws BadRequest {
    try {
      return OutputSpec.parse(spec) instanceof OutputSpec.Image;
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage());
    }
  }

  /**
   * The daemon's {@code --output} for a client's file output {@code spec} (its type and attributes,
   * no {@code dest}): the same, written to {@code file} for the client to fetch.
   */
  private static String fileOutput(String spec, Path file) throws BadRequest {
    if (spec.contains("dest=") || spec.contains("tar=")) {
      throw new BadRequest("\"output\" names no dest or tar: the client writes the result");
    }
    String text = spec + ",dest=" + file;
    OutputSpec parsed;
    try {
      parsed = OutputSpec.parse(text);
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage());
    }
    if (!(parsed instanceof OutputSpec.Tar
        || parsed instanceof OutputSpec.Oci
        || parsed instanceof OutputSpec.Docker)) {
      throw new BadRequest("\"output\" is a tar, oci or docker archive: got " + spec);
    }
    return text;
  }

  /** Messages as {@code message} lines, progress events as their JSON lines. */
  private static BuildOutput sink(PrintStream messages, Lines lines, Watcher watcher) {
    return new BuildOutput() {
      @Override
      public void building(Runnable cancel) {
        watcher.building(cancel);
      }

      @Override
      public void metadata(JsonNode metadata) {
        ObjectNode line = JSON.createObjectNode();
        line.put("type", "metadata");
        line.set("metadata", metadata);
        lines.line(line.toString());
      }

      @Override
      public PrintStream messages() {
        return messages;
      }

      @Override
      public ProgressDisplay display(String mode) {
        return new ProgressDisplay() {
          @Override
          public void accept(ProgressEvent event) {
            watcher.event(event);
            lines.line(ProgressJson.write(event));
          }

          @Override
          public void close() {
            lines.line("{\"type\":\"progress-done\"}");
          }
        };
      }
    };
  }

  /** Turns what is printed into one {@code message} line per text line. */
  private static final class LineStream extends OutputStream {
    private final Lines lines;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    LineStream(Lines lines) {
      this.lines = lines;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        ObjectNode message = JSON.createObjectNode();
        message.put("type", "message");
        message.put("text", pending.toString(StandardCharsets.UTF_8));
        lines.line(message.toString());
        pending.reset();
      } else {
        pending.write(b);
      }
    }
  }
}
