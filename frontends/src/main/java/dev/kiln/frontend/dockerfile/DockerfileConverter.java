package dev.kiln.frontend.dockerfile;

import dev.kiln.engine.graph.State;
import dev.kiln.frontend.dockerfile.parser.DockerfileParseException;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import dev.kiln.frontend.dockerfile.parser.Instruction;
import dev.kiln.frontend.dockerfile.parser.ParsedDockerfile;
import dev.kiln.frontend.dockerfile.parser.ShellExpansionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a parsed Dockerfile into a build graph, like BuildKit's dockerfile2llb: the target stage
 * and, through FROM and COPY --from, only the stages it needs. Stages that do not depend on each
 * other become independent branches of the graph, so the solver runs them in parallel.
 */
public final class DockerfileConverter {
  private final Stages stages;
  private final BuildOptions options;
  private final ImageResolver images;
  private final WordExpander expander;
  private final Map<String, String> metaArgs = new LinkedHashMap<>();
  private final Map<Integer, StageBuilder> built = new HashMap<>();
  private final Set<Integer> inProgress = new HashSet<>();
  private final Map<String, Path> locals = new HashMap<>();

  private DockerfileConverter(
      ParsedDockerfile dockerfile, BuildOptions options, ImageResolver images) {
    this.stages = Stages.split(dockerfile);
    this.options = options;
    this.images = images;
    this.expander = new ShellLexExpander(dockerfile.escape());
  }

  /** Converts {@code dockerfile}; every error is a {@link DockerfileError} naming its line. */
  public static Conversion convert(
      ParsedDockerfile dockerfile, BuildOptions options, ImageResolver images) {
    return new DockerfileConverter(dockerfile, options, images).convert();
  }

  private String expandFrom(Instruction instruction, String word) {
    try {
      return expander.word(word, metaArgs);
    } catch (ShellExpansionException e) {
      throw new DockerfileError(instruction.startLine(), e.getMessage());
    }
  }

  private Conversion convert() {
    // BuildKit's automatic platform args: usable in FROM, and in a stage once declared there.
    metaArgs.putAll(Platforms.automaticArgs());
    for (Instruction arg : stages.metaArgs()) {
      for (String word : arg.args()) {
        int eq = word.indexOf('=');
        String name = eq < 0 ? word : word.substring(0, eq);
        String value =
            options.buildArgs().containsKey(name)
                ? options.buildArgs().get(name)
                : eq < 0 ? "" : expandFrom(arg, word.substring(eq + 1));
        metaArgs.put(name, value);
      }
    }
    Stage target =
        options
            .target()
            .map(
                name ->
                    stages
                        .find(name)
                        .orElseThrow(
                            () ->
                                new DockerfileError(
                                    0, "target stage \"" + name + "\" could not be found")))
            .orElse(stages.stages().get(stages.stages().size() - 1));
    for (String name : options.noCacheFilter()) {
      String wanted = name.toLowerCase(java.util.Locale.ROOT);
      if (stages.stages().stream().noneMatch(s -> s.name().equals(Optional.of(wanted)))) {
        throw new DockerfileError(0, "no-cache-filter: stage \"" + name + "\" could not be found");
      }
    }
    StageBuilder result = build(target);
    result.config.labels.putAll(options.labels());
    var definition = result.fs.definition();
    return new Conversion(
        options.noCache() ? definition.ignoringCache() : definition, result.config, locals);
  }

  private StageBuilder build(Stage stage) {
    StageBuilder done = built.get(stage.index());
    if (done != null) {
      return done;
    }
    if (!inProgress.add(stage.index())) {
      throw new DockerfileError(
          stage.from().startLine(), "circular dependency detected on stage: " + stage.label());
    }
    String from = expandFrom(stage.from(), stage.from().args().get(0));
    int line = stage.from().startLine();
    InstructionFlags fromFlags = InstructionFlags.parse(stage.from(), Set.of("platform"));
    if (fromFlags.get("platform").isPresent()) {
      Platforms.check(expandFrom(stage.from(), fromFlags.get("platform").get()), line);
    }
    State base;
    ImageConfig config;
    Optional<Stage> parent = stages.find(from).filter(s -> s.index() != stage.index());
    if (from.equals("scratch")) {
      base = State.source("scratch");
      config = new ImageConfig();
    } else if (options.namedContexts().containsKey(from)
        && !isImage(options.namedContexts().get(from))) {
      // A directory as a stage's base, as buildx allows: its files, no image configuration.
      base = localContext(from, options.namedContexts().get(from), line, List.of());
      config = new ImageConfig();
    } else if (parent.isPresent() && !options.namedContexts().containsKey(from)) {
      StageBuilder parentBuilder = build(parent.get());
      base = parentBuilder.fs;
      config = parentBuilder.config.copy();
    } else {
      String image = imageIdentifier(from, line);
      base = State.source(image);
      config = imageConfig(image, line);
    }
    StageBuilder builder =
        new StageBuilder(stage, base, config, expander, options, metaArgs, this::copySource);
    if (!parent.isPresent() || from.equals("scratch")) {
      builder.fs = builder.fs.describe(builder.describeFrom());
    }
    runTriggers(builder, line);
    for (Instruction instruction : stage.body()) {
      builder.apply(instruction);
    }
    inProgress.remove(stage.index());
    built.put(stage.index(), builder);
    return builder;
  }

  /**
   * Runs the ONBUILD triggers the base left in its configuration, first thing in the stage, as
   * Docker does; the new image does not inherit them.
   */
  private void runTriggers(StageBuilder builder, int fromLine) {
    List<String> triggers = builder.config.onBuild();
    builder.config.onBuild.clear();
    builder.expectSteps(triggers.size());
    for (String trigger : triggers) {
      ParsedDockerfile parsed;
      try {
        parsed = DockerfileParser.parse(trigger + "\n", "ONBUILD trigger");
      } catch (DockerfileParseException e) {
        throw new DockerfileError(
            fromLine, "the base image's ONBUILD " + trigger + ": " + e.detail());
      }
      for (Instruction instruction : parsed.instructions()) {
        builder.apply(
            new Instruction(
                instruction.keyword(),
                instruction.flags(),
                instruction.args(),
                instruction.json(),
                "ONBUILD " + instruction.original(),
                fromLine,
                fromLine,
                instruction.heredocs(),
                instruction.child()));
      }
    }
  }

  /** What {@code COPY --from=ref} reads: a named context, a stage, or an image. */
  private State copySource(String ref, int line, List<String> includes) {
    String context = options.namedContexts().get(ref);
    if (context != null && !isImage(context)) {
      return localContext(ref, context, line, includes);
    }
    Optional<Stage> stage = stages.find(ref);
    if (context == null && stage.isPresent()) {
      return build(stage.get()).fs;
    }
    return State.source(imageIdentifier(ref, line));
  }

  private static boolean isImage(String context) {
    return context.startsWith("oci-layout://") || context.startsWith("docker-image://");
  }

  private State localContext(String name, String dir, int line, List<String> includes) {
    Path path = Path.of(dir).toAbsolutePath().normalize();
    if (!Files.isDirectory(path)) {
      throw new DockerfileError(line, "build context \"" + name + "\" is not a directory: " + dir);
    }
    String localName = "context-" + name;
    locals.put(localName, path);
    return State.local(localName, includes, List.of());
  }

  private String imageIdentifier(String ref, int line) {
    String context = options.namedContexts().get(ref);
    if (context != null) {
      return context;
    }
    if (ref.startsWith("oci-layout://")) {
      return ref;
    }
    // The engine resolves the name: Kiln's local image store first, then the registry.
    return "docker-image://" + ref;
  }

  private ImageConfig imageConfig(String image, int line) {
    try {
      return ImageConfigJson.read(images.config(image));
    } catch (IOException e) {
      throw new DockerfileError(line, e.getMessage());
    }
  }
}
