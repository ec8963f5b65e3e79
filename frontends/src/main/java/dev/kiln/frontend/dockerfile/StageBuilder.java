package dev.kiln.frontend.dockerfile;

import dev.kiln.engine.graph.CacheSharing;
import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.graph.GraphPaths;
import dev.kiln.engine.graph.Mount;
import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.Owner;
import dev.kiln.engine.graph.RunMount;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.graph.State;
import dev.kiln.frontend.dockerfile.parser.Heredoc;
import dev.kiln.frontend.dockerfile.parser.Instruction;
import dev.kiln.frontend.dockerfile.parser.ShellExpansionException;
import java.nio.file.InvalidPathException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Converts one stage's instructions, in order, into graph states and image configuration. RUN,
 * COPY, ADD and WORKDIR add vertices; the rest only change the configuration.
 */
final class StageBuilder {
  private static final Set<String> COPY_FLAGS =
      Set.of("from", "chown", "chmod", "link", "exclude", "parents");
  private static final Set<String> ADD_FLAGS =
      Set.of("chown", "chmod", "link", "exclude", "checksum", "keep-git-dir", "unpack");
  private static final Set<String> RUN_FLAGS = Set.of("network", "security", "mount");

  private final Stage stage;
  private final WordExpander expander;
  private final BuildOptions options;
  private final CopySources copySources;
  private final Map<String, String> metaArgs;
  private final Map<String, String> args = new LinkedHashMap<>();
  private int total;
  private int step = 1;
  State fs;
  final ImageConfig config;

  /** Resolves {@code COPY --from=REF} and {@code --mount=from=REF}. */
  @FunctionalInterface
  interface CopySources {
    /**
     * The state REF names (a stage, a named context or an image); a local named context reads only
     * {@code includes} (relative patterns; empty for everything).
     */
    State resolve(String ref, int line, List<String> includes);
  }

  /**
   * {@code copySources} resolves {@code COPY --from=REF}; {@code metaArgs} are the ARGs declared
   * before the first FROM.
   */
  StageBuilder(
      Stage stage,
      State base,
      ImageConfig config,
      WordExpander expander,
      BuildOptions options,
      Map<String, String> metaArgs,
      CopySources copySources) {
    this.stage = stage;
    this.fs = base;
    this.config = config;
    this.expander = expander;
    this.options = options;
    this.metaArgs = metaArgs;
    this.copySources = copySources;
    this.total = stage.body().size() + 1;
  }

  void apply(Instruction instruction) {
    try {
      applyUnchecked(instruction);
    } catch (ShellExpansionException e) {
      throw new DockerfileError(instruction.startLine(), e.getMessage());
    } catch (InvalidPathException e) {
      // A container path no filesystem can hold (a NUL byte): the Dockerfile's fault, not ours.
      throw new DockerfileError(
          instruction.startLine(),
          "invalid path \"" + e.getInput().replace("\0", "\\0") + "\": " + e.getReason());
    }
  }

  private void applyUnchecked(Instruction instruction) {
    step++;
    String keyword = instruction.keyword();
    if (ConfigInstructions.apply(instruction, config, expander, args)) {
      history(instruction.original(), true);
      return;
    }
    switch (keyword) {
      case "run":
        run(instruction);
        break;
      case "copy":
        copy(instruction, InstructionFlags.parse(instruction, COPY_FLAGS), false);
        break;
      case "add":
        copy(instruction, InstructionFlags.parse(instruction, ADD_FLAGS), true);
        break;
      case "workdir":
        workdir(instruction);
        break;
      case "arg":
        arg(instruction);
        break;
      default:
        throw new DockerfileError(
            instruction.startLine(), "unknown instruction: " + keyword.toUpperCase(Locale.ROOT));
    }
  }

  private void run(Instruction instruction) {
    InstructionFlags flags = InstructionFlags.parse(instruction, RUN_FLAGS);
    int line = instruction.startLine();
    NetworkMode network = NetworkMode.DEFAULT;
    Optional<String> mode = flags.get("network");
    if (mode.isPresent()) {
      switch (mode.get()) {
        case "default":
          break;
        case "host":
          entitled("network.host", line);
          network = NetworkMode.HOST;
          break;
        case "none":
          network = NetworkMode.NONE;
          break;
        default:
          throw new DockerfileError(
              line, "RUN --network=" + mode.get() + ": use default, none or host");
      }
    }
    SecurityMode security = SecurityMode.SANDBOX;
    Optional<String> securityFlag = flags.get("security");
    if (securityFlag.isPresent()) {
      switch (securityFlag.get()) {
        case "sandbox":
          break;
        case "insecure":
          entitled("security.insecure", line);
          security = SecurityMode.INSECURE;
          break;
        default:
          throw new DockerfileError(
              line, "RUN --security=" + securityFlag.get() + ": use sandbox or insecure");
      }
    }
    List<String> argv = runArgv(instruction);
    State exec = fs.dir(workdirOrRoot()).user(config.user().isEmpty() ? "0" : config.user());
    Map<String, String> vars = ConfigInstructions.merged(args, config);
    for (Map.Entry<String, String> entry : runEnv().entrySet()) {
      exec = exec.env(entry.getKey(), entry.getValue());
    }
    List<RunMount> mounts = new ArrayList<>();
    int sshCount = 0;
    for (String value : flags.all("mount")) {
      RunMountParser.Parsed parsed = RunMountParser.parse(value, line, w -> expander.word(w, vars));
      mounts.add(mount(parsed, line, parsed.type() == RunMountParser.Type.SSH ? sshCount++ : 0));
    }
    fs =
        exec.network(network)
            .run(mounts, security, argv)
            .describe(describe(instruction))
            .ignoreCacheIf(ignoresCache());
    history("RUN " + String.join(" ", argv) + " # buildkit", false);
  }

  private void entitled(String entitlement, int line) {
    if (!options.entitlements().contains(entitlement)) {
      throw new DockerfileError(
          line, entitlement + " is not allowed: pass --allow " + entitlement + " to kiln build");
    }
  }

  /** A mount's {@code source} as an absolute selector that stays inside what it reads. */
  private static String mountSelector(String source, int line) {
    String selector = "/" + source.replaceAll("^(\\./|/)+", "");
    selector = java.nio.file.Path.of(selector).normalize().toString();
    if (GraphPaths.climbsOutOfRoot(selector)) {
      throw new DockerfileError(line, "RUN --mount: source \"" + source + "\" leaves its context");
    }
    return selector;
  }

  /** A parsed {@code --mount} as a graph mount and the state it reads. */
  private RunMount mount(RunMountParser.Parsed m, int line, int sshIndex) {
    String target = m.target().isEmpty() ? "" : absolute(m.target()).replaceAll("(.)/+$", "$1");
    switch (m.type()) {
      case BIND:
        {
          String selector = mountSelector(m.source(), line);
          State from =
              m.from().isPresent()
                  ? copySources.resolve(m.from().get(), line, List.of())
                  : State.local(
                      "context",
                      selector.equals("/") ? List.of() : List.of(selector.substring(1)),
                      options.ignorePatterns());
          return RunMount.of(from, Mount.bind(0, target, selector, m.readonly()));
        }
      case CACHE:
        {
          Mount cache =
              Mount.cache(
                  target,
                  m.id().orElse(target),
                  CacheSharing.valueOf(m.sharing().toUpperCase(Locale.ROOT)),
                  m.mode(),
                  m.uid(),
                  m.gid());
          if (m.from().isEmpty()) {
            // BuildKit ignores source without from: there is nothing to take it from.
            return RunMount.of(cache);
          }
          // A new cache directory starts as a copy of from's source (BuildKit's base).
          String selector = mountSelector(m.source(), line);
          return RunMount.of(
              copySources.resolve(m.from().get(), line, List.of()), cache.withSelector(selector));
        }
      case TMPFS:
        return RunMount.of(Mount.tmpfs(target, m.size()));
      case SECRET:
        {
          String id =
              m.id()
                  .orElseGet(
                      () -> target.isEmpty() ? "" : target.substring(target.lastIndexOf('/') + 1));
          if (id.isEmpty()) {
            throw new DockerfileError(line, "RUN --mount=type=secret needs an id or a target");
          }
          String dest =
              !target.isEmpty() ? target : m.env().isPresent() ? "" : "/run/secrets/" + id;
          return RunMount.of(
              Mount.secret(dest, id, m.env(), !m.required(), m.mode(), m.uid(), m.gid()));
        }
      default:
        {
          String dest = target.isEmpty() ? "/run/buildkit/ssh_agent." + sshIndex : target;
          return RunMount.of(Mount.ssh(dest, m.id().orElse("default"), !m.required()));
        }
    }
  }

  private List<String> runArgv(Instruction instruction) {
    if (instruction.json()) {
      return List.copyOf(instruction.args());
    }
    List<String> argv = new ArrayList<>(ConfigInstructions.shell(config));
    String command = String.join(" ", instruction.args());
    List<Heredoc> heredocs = instruction.heredocs();
    if (heredocs.size() == 1 && command.trim().matches("<<-?[\"']?\\w+[\"']?")) {
      // RUN <<EOF: the heredoc is the script, run by the shell.
      command = heredocs.get(0).content();
    } else if (!heredocs.isEmpty()) {
      // RUN cat <<EOF > file: the shell reads the heredocs, so it gets them after the command.
      StringBuilder script = new StringBuilder(command);
      for (Heredoc heredoc : heredocs) {
        script.append('\n').append(heredoc.content());
        if (!heredoc.content().endsWith("\n")) {
          script.append('\n');
        }
        script.append(heredoc.name());
      }
      command = script.toString();
    }
    argv.add(command);
    return argv;
  }

  /** A RUN's environment: the image's, plus the stage's build args not overridden by it. */
  private Map<String, String> runEnv() {
    Map<String, String> env = new LinkedHashMap<>(ConfigInstructions.merged(args, config));
    if (!env.containsKey("PATH")) {
      env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
    return env;
  }

  private void copy(Instruction instruction, InstructionFlags flags, boolean add) {
    int line = instruction.startLine();
    String keyword = add ? "ADD" : "COPY";
    List<String> words = instruction.args();
    if (words.size() < 2) {
      throw new DockerfileError(line, keyword + " requires at least two arguments");
    }
    Map<String, String> vars = ConfigInstructions.merged(args, config);
    List<String> sources = new ArrayList<>();
    for (String word : words.subList(0, words.size() - 1)) {
      sources.add(expander.word(word, vars));
    }
    String dest = expander.word(words.get(words.size() - 1), vars);
    if (sources.size() > 1 && !dest.endsWith("/")) {
      throw new DockerfileError(
          line,
          "When using "
              + keyword
              + " with more than one source file, the destination must be a directory and end"
              + " with a /");
    }
    String target = absolute(dest);
    Optional<Owner> owner = flags.get("chown").flatMap(o -> chown(expander.word(o, vars)));
    Optional<Integer> mode = flags.get("chmod").map(m -> octal(m, line));
    List<String> excludes = flags.all("exclude");
    List<FileAction> actions = new ArrayList<>();
    List<String> contextPaths = new ArrayList<>();
    List<String> localSources = new ArrayList<>();
    List<String> urls = new ArrayList<>();
    for (String source : sources) {
      Optional<Heredoc> heredoc = heredocNamed(instruction, source);
      if (heredoc.isPresent()) {
        String file = target.endsWith("/") ? target + heredoc.get().name() : target;
        actions.add(new FileAction.Mkfile(file, mode.orElse(0644), heredoc.get().content(), owner));
      } else if (add && source.matches("(?i)https?://.*")) {
        urls.add(source);
      } else if (add && source.matches("(?i)git(@|://).*")) {
        throw new DockerfileError(
            line, "ADD from a git repository is not supported yet: " + source);
      } else {
        String clean = "/" + source.replaceAll("^(\\./|/)+", "");
        if (GraphPaths.climbsOutOfRoot(clean)) {
          throw new DockerfileError(
              line, keyword + " source \"" + source + "\" is outside the build context");
        }
        contextPaths.add(
            clean.equals("/")
                ? "**"
                : clean.substring(1).replace("/./", "/").replaceAll("/+$", ""));
        localSources.add(clean);
      }
    }
    if (flags.has("checksum") && urls.isEmpty()) {
      throw new DockerfileError(line, "ADD --checksum can only be used with HTTP(S) sources");
    }
    List<State> inputs = new ArrayList<>();
    if (!localSources.isEmpty()) {
      inputs.add(
          flags.get("from").isPresent()
              ? copySources.resolve(
                  expander.word(flags.get("from").get(), vars), line, includes(contextPaths))
              : State.local("context", includes(contextPaths), options.ignorePatterns()));
      for (String clean : localSources) {
        FileAction.Copy copy = copy(1, clean, target, owner, mode, excludes);
        // ADD unpacks local tar archives (plain, gzip, bzip2, zstd) into the destination.
        copy = add ? copy.unpacking() : copy;
        actions.add(flags.has("parents") ? copy.keepingParents() : copy);
      }
    }
    for (String url : urls) {
      String filename = Downloads.filename(url);
      Map<String, String> attrs = new LinkedHashMap<>();
      attrs.put(SourceOp.HTTP_FILENAME, filename);
      flags.get("checksum").ifPresent(c -> attrs.put(SourceOp.HTTP_CHECKSUM, c));
      inputs.add(State.source(new SourceOp(url, List.of(), List.of(), attrs)));
      actions.add(copy(inputs.size(), "/" + filename, target, owner, mode, List.of()));
    }
    fs =
        fs.file(actions, inputs.toArray(State[]::new))
            .describe(describe(instruction))
            .ignoreCacheIf(ignoresCache());
    history(keyword + " " + String.join(" ", sources) + " " + dest + " # buildkit", false);
  }

  private static FileAction.Copy copy(
      int input,
      String src,
      String target,
      Optional<Owner> owner,
      Optional<Integer> mode,
      List<String> excludes) {
    return new FileAction.Copy(
        input, src, target, owner, mode, true, true, true, true, false, List.of(), excludes);
  }

  private static List<String> includes(List<String> paths) {
    return paths.contains("**") ? List.of() : paths;
  }

  private static Optional<Heredoc> heredocNamed(Instruction instruction, String source) {
    if (!source.startsWith("<<")) {
      return Optional.empty();
    }
    String name = source.replaceAll("^<<-?[\"']?|[\"']$", "");
    return instruction.heredocs().stream().filter(h -> h.name().equals(name)).findFirst();
  }

  private void workdir(Instruction instruction) {
    if (instruction.args().size() != 1) {
      throw new DockerfileError(instruction.startLine(), "WORKDIR requires exactly one argument");
    }
    String dir =
        absolute(expander.word(instruction.args().get(0), ConfigInstructions.merged(args, config)));
    config.workingDir = dir;
    fs =
        fs.file(List.of(new FileAction.Mkdir(dir, 0755, true, Optional.empty())))
            .describe(describe(instruction))
            .ignoreCacheIf(ignoresCache());
    history("WORKDIR " + dir, false);
  }

  private void arg(Instruction instruction) {
    for (String word : instruction.args()) {
      int eq = word.indexOf('=');
      String name = eq < 0 ? word : word.substring(0, eq);
      Optional<String> value;
      if (options.buildArgs().containsKey(name)) {
        value = Optional.of(options.buildArgs().get(name));
      } else if (eq >= 0) {
        value =
            Optional.of(
                expander.word(word.substring(eq + 1), ConfigInstructions.merged(args, config)));
      } else {
        value = Optional.ofNullable(metaArgs.get(name));
      }
      args.put(name, value.orElse(""));
    }
    history("ARG " + String.join(" ", instruction.args()), true);
  }

  /** {@code path} made absolute against the working directory; a trailing / (or .) is kept. */
  private String absolute(String path) {
    boolean directory = path.endsWith("/") || path.equals(".") || path.endsWith("/.");
    String joined = path.startsWith("/") ? path : workdirOrRoot() + "/" + path;
    String normal = java.nio.file.Path.of(joined).normalize().toString();
    return directory && !normal.endsWith("/") ? normal + "/" : normal;
  }

  private String workdirOrRoot() {
    return config.workingDir().isEmpty() ? "/" : config.workingDir();
  }

  /**
   * An empty {@code --chown=} changes nothing and {@code --chown=:group} keeps user 0, as in
   * BuildKit (its parseUser treats an empty name as no user).
   */
  private static Optional<Owner> chown(String spec) {
    if (spec.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Owner.parse(spec.startsWith(":") ? "0" + spec : spec));
  }

  private static int octal(String mode, int line) {
    try {
      return Integer.parseInt(mode, 8);
    } catch (NumberFormatException e) {
      throw new DockerfileError(line, "--chmod=" + mode + ": not an octal mode");
    }
  }

  private void history(String createdBy, boolean empty) {
    config.history.add(new ImageConfig.History(createdBy, empty));
  }

  /** Whether {@code --no-cache-filter} names this stage: its steps then run whatever is cached. */
  private boolean ignoresCache() {
    return stage.name().isPresent()
        && options.noCacheFilter().stream().anyMatch(n -> n.equalsIgnoreCase(stage.name().get()));
  }

  /** BuildKit's progress name: {@code [stage 2/3] RUN make}. */
  String describe(Instruction instruction) {
    // Continuation lines read as one line, as BuildKit shows them.
    String text =
        instruction.original().replaceAll("\\\\?\\s*\\n", " ").replaceAll("\\s+", " ").trim();
    return "[" + stage.label() + " " + step + "/" + total + "] " + text;
  }

  /** Counts {@code extra} more steps: the base image's ONBUILD triggers, run before the body. */
  void expectSteps(int extra) {
    total += extra;
  }

  String describeFrom() {
    String text = stage.from().original().trim();
    return "[" + stage.label() + " 1/" + total + "] " + text;
  }
}
