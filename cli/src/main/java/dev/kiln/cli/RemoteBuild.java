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
          "--explain",
          // A frontend image must be a layout the client sent (a named context) or a registry
          // image: the daemon's layout policy refuses its own host's.
          "--frontend",
          "--opt");

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
    /** The build's id, which its job is journaled under. */
    dev.kiln.engine.job.BuildId id();

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
      String dockerfile,
      List<String> args,
      Optional<String> contextKey,
      Optional<String> output,
      List<SyncedDir> dirs,
      Optional<String> cacheTo,
      boolean definition,
      List<String> ssh,
      String submission) {
    private static final java.util.regex.Pattern SUBMISSION =
        java.util.regex.Pattern.compile("[A-Za-z0-9-]{0,64}");

    /** At most this many directories besides the context. */
    static final int MAX_DIRS = 64;

    /** At most this many ssh agents. */
    static final int MAX_AGENTS = 16;

    public Request {
      args = List.copyOf(args);
      dirs = List.copyOf(dirs);
      ssh = List.copyOf(ssh);
    }

    public Request(String dockerfile, List<String> args) {
      this(
          dockerfile,
          args,
          Optional.empty(),
          Optional.empty(),
          List.of(),
          Optional.empty(),
          false,
          List.of(),
          "");
    }

    public Request withContextKey(Optional<String> contextKey) {
      return new Request(
          dockerfile, args, contextKey, output, dirs, cacheTo, definition, ssh, submission);
    }

    public Request withOutput(Optional<String> output) {
      return new Request(
          dockerfile, args, contextKey, output, dirs, cacheTo, definition, ssh, submission);
    }

    public Request withDirs(List<SyncedDir> dirs) {
      return new Request(
          dockerfile, args, contextKey, output, dirs, cacheTo, definition, ssh, submission);
    }

    public Request withCacheTo(Optional<String> cacheTo) {
      return new Request(
          dockerfile, args, contextKey, output, dirs, cacheTo, definition, ssh, submission);
    }

    public Request withSsh(List<String> ssh) {
      return new Request(
          dockerfile, args, contextKey, output, dirs, cacheTo, definition, ssh, submission);
    }

    /**
     * This request with {@code submission}: a client's random id for it, by which the client finds
     * its build again if the daemon goes away before it has told the build's id.
     */
    public Request withSubmission(String submission) {
      return new Request(
          dockerfile, args, contextKey, output, dirs, cacheTo, definition, ssh, submission);
    }

    public Request asDefinition() {
      return new Request(
          dockerfile, args, contextKey, output, dirs, cacheTo, true, ssh, submission);
    }

    /** The request as the {@code Kiln-Build} header's value: base64url of its JSON. */
    public String encode() {
      ObjectNode json = JSON.createObjectNode();
      json.put("dockerfile", dockerfile);
      ArrayNode list = json.putArray("args");
      args.forEach(list::add);
      contextKey.ifPresent(key -> json.put("contextKey", key));
      output.ifPresent(spec -> json.put("output", spec));
      cacheTo.ifPresent(spec -> json.put("cacheTo", spec));
      if (definition) {
        json.put("definition", true);
      }
      if (!submission.isEmpty()) {
        json.put("submission", submission);
      }
      if (!ssh.isEmpty()) {
        ArrayNode agents = json.putArray("ssh");
        ssh.forEach(agents::add);
      }
      if (!dirs.isEmpty()) {
        ArrayNode synced = json.putArray("dirs");
        dirs.forEach(dir -> synced.add(dir.toJson()));
      }
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
      Optional<String> key = text(json, "contextKey");
      Optional<String> output = text(json, "output");
      Optional<String> cacheTo = text(json, "cacheTo");
      List<SyncedDir> dirs = new ArrayList<>();
      if (json.has("dirs")) {
        if (!json.get("dirs").isArray() || json.get("dirs").size() > MAX_DIRS) {
          throw new BadRequest("\"dirs\" must be an array of at most " + MAX_DIRS);
        }
        for (JsonNode dir : json.get("dirs")) {
          dirs.add(SyncedDir.fromJson(dir));
        }
      }
      JsonNode definition = json.path("definition");
      if (!definition.isMissingNode() && !definition.isBoolean()) {
        throw new BadRequest("\"definition\" must be true or false");
      }
      if (definition.asBoolean(false) && key.isPresent()) {
        throw new BadRequest("a build graph (\"definition\") has no context: no \"contextKey\"");
      }
      List<String> ssh = new ArrayList<>();
      if (json.has("ssh")) {
        if (!json.get("ssh").isArray() || json.get("ssh").size() > MAX_AGENTS) {
          throw new BadRequest("\"ssh\" must be an array of at most " + MAX_AGENTS + " ids");
        }
        for (JsonNode agent : json.get("ssh")) {
          if (!agent.isTextual()
              || !SecretIds.valid(agent.asText())
              || ssh.contains(agent.asText())) {
            throw new BadRequest("\"ssh\": an agent id is " + SecretIds.FORM + ", each once");
          }
          ssh.add(agent.asText());
        }
      }
      String submission = text(json, "submission").orElse("");
      if (!SUBMISSION.matcher(submission).matches()) {
        throw new BadRequest("\"submission\" is a client's random id: up to 64 of [A-Za-z0-9-]");
      }
      return new Request(
          name, args, key, output, dirs, cacheTo, definition.asBoolean(false), ssh, submission);
    }

    private static Optional<String> text(JsonNode json, String field) throws BadRequest {
      if (!json.has(field)) {
        return Optional.empty();
      }
      if (!json.get(field).isTextual()) {
        throw new BadRequest("\"" + field + "\" must be a string");
      }
      return Optional.of(json.get(field).asText());
    }
  }

  /** A checked request, ready to run. */
  public static final class Prepared {
    private final BuildCommand command;
    private final Optional<Path> output;
    private final Optional<Path> cacheLayout;
    private final Map<String, Path> agentSockets;

    private Prepared(
        BuildCommand command,
        Optional<Path> output,
        Optional<Path> cacheLayout,
        Map<String, Path> agentSockets) {
      this.command = command;
      this.output = output;
      this.cacheLayout = cacheLayout;
      this.agentSockets = Map.copyOf(agentSockets);
    }

    /**
     * Where the build's steps find each ssh agent of the client, by id: sockets the daemon must
     * listen on before the build runs.
     */
    public Map<String, Path> agentSockets() {
      return agentSockets;
    }

    /** Makes the build go on with its interrupted job (a daemon restarted under it). */
    public void resuming() {
      command.resume = true;
    }

    /** Where the build writes the archive the client fetches, when it asked for one. */
    public Optional<Path> output() {
      return output;
    }

    /** Where the build writes the cache layout the client fetches, when it asked for one. */
    public Optional<Path> cacheLayout() {
      return cacheLayout;
    }

    /**
     * Runs the build on {@code engine}, writing its lines, and returns its exit code; {@code
     * watcher} sees its events and is given the way to cancel it once it runs; {@code written} runs
     * once its outputs are written, before its job ends.
     */
    public int run(Engine engine, Lines lines, Watcher watcher, Runnable written) {
      int code;
      PrintStream messages = new PrintStream(new LineStream(lines), true, StandardCharsets.UTF_8);
      command.buildId = Optional.of(watcher.id());
      try {
        code = command.run(sink(messages, lines, watcher, written), Optional.of(engine));
      } catch (Exception e) {
        messages.println("error: " + e.getMessage());
        code = 1;
      }
      messages.flush();
      return code;
    }
  }

  /**
   * Builds, on a background thread, what checking a request first builds (picocli's model of {@code
   * kiln build}, ~0.3 s in a new JVM), while the daemon's engine starts.
   */
  public static void prewarm() {
    Thread thread =
        new Thread(
            () -> {
              try {
                checkClientOptions(new Request("Dockerfile", List.of("--target", "t")), Set.of());
              } catch (BadRequest e) {
                // a warm-up: its answer does not matter
              }
            },
            "kiln-prewarm-options");
    thread.setDaemon(true);
    thread.start();
  }

  /** The stream's last line: the exit code {@code kiln build} would have. */
  public static String exitLine(int code) {
    ObjectNode exit = JSON.createObjectNode();
    exit.put("type", "exit");
    exit.put("code", code);
    return exit.toString();
  }

  /**
   * Checks {@code request} against what was uploaded to {@code session} ({@code dockerfile/NAME}),
   * the build context in {@code context} and the copies of its other directories in {@code dirs}
   * (by key), and parses its options as {@code kiln build} would; {@code secrets} (sent with the
   * upload, held in memory) reach this build's secret mounts only; {@code entitlements} are those
   * the daemon grants to a build that asks with {@code --allow}.
   */
  public static Prepared prepare(
      Request request,
      Path session,
      Path context,
      Map<String, Path> dirs,
      Map<String, byte[]> secrets,
      Set<String> entitlements)
      throws BadRequest {
    checkClientOptions(request, entitlements);
    Path dockerfile = session.resolve("dockerfile").resolve(request.dockerfile());
    BuildCommand command = new BuildCommand();
    List<String> argv = new ArrayList<>(request.args());
    for (SyncedDir dir : request.dirs()) {
      Path copy = dirs.get(dir.key());
      if (copy == null) {
        throw new BadRequest("the upload has no copy of directory " + dir.key());
      }
      argv.addAll(dir.use().option(copy));
    }
    Optional<Path> outputFile = Optional.empty();
    if (request.output().isPresent()) {
      outputFile = Optional.of(session.resolve("output"));
      argv.addAll(List.of("--output", fileOutput(request.output().get(), outputFile.get())));
    }
    Map<String, Path> agentSockets = new java.util.LinkedHashMap<>();
    for (String agent : request.ssh()) {
      Path socket = session.resolve("ssh").resolve(agentSockets.size() + ".sock");
      agentSockets.put(agent, socket);
      argv.addAll(List.of("--ssh", agent + "=" + socket));
    }
    Optional<Path> cacheLayout = Optional.empty();
    if (request.cacheTo().isPresent()) {
      cacheLayout = Optional.of(session.resolve("cache-layout"));
      argv.addAll(List.of("--cache-to", cacheLayout(request.cacheTo().get(), cacheLayout.get())));
    }
    if (request.definition()) {
      argv.addAll(List.of("--definition", dockerfile.toString()));
    } else {
      argv.addAll(List.of("--file", dockerfile.toString(), context.toString()));
    }
    parse(command, argv);
    if (!request.definition() && !Files.isDirectory(context)) {
      throw new BadRequest("the upload has no context/ directory");
    }
    if (!Files.isRegularFile(dockerfile)) {
      throw new BadRequest("the upload has no dockerfile/" + request.dockerfile());
    }
    command.sentSecrets = Map.copyOf(secrets);
    command.layouts = LayoutPolicy.within(dirs.values());
    command.commandLine = request.args();
    command.client = "a client of the daemon";
    return new Prepared(command, outputFile, cacheLayout, agentSockets);
  }

  /**
   * Refuses options of the client that would name a file of the daemon's host or grant what the
   * daemon does not: files travel in the upload, and the daemon adds the options that read them.
   */
  private static void checkClientOptions(Request request, Set<String> entitlements)
      throws BadRequest {
    BuildCommand asked = new BuildCommand();
    CommandLine.ParseResult parsed = parse(asked, request.args());
    if (!parsed.matchedPositionals().isEmpty()) {
      throw new BadRequest("\"args\" name no build context: the upload carries it");
    }
    try {
      for (CommandLine.Model.OptionSpec option : parsed.matchedOptions()) {
        String name = option.longestName();
        if (ALLOWED.contains(name)) {
          continue;
        }
        switch (name) {
          case "--output" -> {
            if (request.output().isPresent() || !isImage(asked.output.orElseThrow())) {
              throw new BadRequest(
                  "--output: a file output is the request's \"output\", without dest");
            }
          }
          case "--build-context" -> {
            for (String value : asked.buildContexts) {
              if (!value.substring(value.indexOf('=') + 1).startsWith("docker-image://")) {
                throw new BadRequest(
                    "--build-context "
                        + value
                        + ": a directory or layout travels in the upload (\"dirs\")");
              }
            }
          }
          case "--cache-from" -> {
            for (String value : asked.cacheFrom) {
              if (CacheSpec.from(value).dir().isPresent()) {
                throw new BadRequest(
                    "--cache-from " + value + ": a directory travels in the upload (\"dirs\")");
              }
            }
          }
          case "--cache-to" -> {
            if (CacheSpec.to(asked.cacheTo.orElseThrow()).dir().isPresent()) {
              throw new BadRequest(
                  "--cache-to type=local: a cache for the client is the request's \"cacheTo\","
                      + " without dest");
            }
          }
          case "--allow" -> {
            for (String entitlement : asked.allow) {
              if (!entitlements.contains(entitlement)) {
                throw new BadRequest(
                    "--allow "
                        + entitlement
                        + ": this daemon does not grant it (kiln daemon"
                        + " --allow-insecure-entitlement "
                        + entitlement
                        + ")");
              }
            }
          }
          default -> throw new BadRequest(name + " is not supported through the daemon yet");
        }
      }
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage());
    }
  }

  private static CommandLine.ParseResult parse(BuildCommand command, List<String> argv)
      throws BadRequest {
    try {
      return new CommandLine(command).parseArgs(argv.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new BadRequest("bad build options: " + e.getMessage());
    }
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

  /**
   * The daemon's {@code --cache-to} for a client's {@code type=local} cache ({@code spec}, no
   * {@code dest}): the same, written to {@code dir} for the client to fetch.
   */
  private static String cacheLayout(String spec, Path dir) throws BadRequest {
    try {
      Map<String, String> fields = KeyValues.parse("\"cacheTo\"", spec);
      if (fields.containsKey("dest")) {
        throw new BadRequest("\"cacheTo\" names no dest: the client writes the cache");
      }
      if (!"local".equals(fields.get("type"))) {
        throw new BadRequest("\"cacheTo\" is a type=local cache: got " + spec);
      }
      String text = spec + ",dest=" + dir;
      CacheSpec.to(text);
      return text;
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage().replace(dir.toString(), "DIR")); // no daemon paths
    }
  }

  /** Messages as {@code message} lines, progress events as their JSON lines. */
  private static BuildOutput sink(
      PrintStream messages, Lines lines, Watcher watcher, Runnable written) {
    return new BuildOutput() {
      @Override
      public void building(Runnable cancel) {
        watcher.building(cancel);
      }

      @Override
      public void written() {
        written.run();
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
