package dev.kiln.cli;

import dev.kiln.engine.Engine;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.source.OciReference;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.Conversion;
import dev.kiln.frontend.dockerfile.ImageConfig;
import dev.kiln.frontend.dockerfile.ImageConfigJson;
import dev.kiln.frontend.gateway.DockerfileFrontend;
import dev.kiln.frontend.gateway.FrontendException;
import dev.kiln.frontend.gateway.FrontendRef;
import dev.kiln.frontend.gateway.FrontendResult;
import dev.kiln.frontend.gateway.FrontendRunner;
import dev.kiln.frontend.gateway.GatewayServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A build whose file goes to an image frontend: what it gives the frontend (its options as BuildKit
 * names them, the context, the build file's directory and the local named contexts as inputs, the
 * named layouts), and the frontend's result as a conversion, so that the rest of the build goes as
 * a Dockerfile's does.
 */
final class GatewayBuild {
  private final Map<String, String> opts;
  private final Map<String, Path> inputs;
  private final Set<Path> layouts;
  private final BuildOptions options;

  private GatewayBuild(
      Map<String, String> opts, Map<String, Path> inputs, Set<Path> layouts, BuildOptions options) {
    this.opts = Map.copyOf(opts);
    this.inputs = Map.copyOf(inputs);
    this.layouts = Set.copyOf(layouts);
    this.options = options;
  }

  static GatewayBuild of(
      Path context,
      Optional<Path> file,
      BuildOptions options,
      Map<String, String> frontendOpts,
      Map<String, Path> locals) {
    Path dir = context.toAbsolutePath().normalize();
    Path buildFile =
        file.map(f -> f.toAbsolutePath().normalize()).orElse(dir.resolve("Dockerfile"));
    Map<String, String> opts = new LinkedHashMap<>();
    opts.put("filename", buildFile.getFileName().toString());
    options.target().ifPresent(target -> opts.put("target", target));
    options.buildArgs().forEach((name, value) -> opts.put("build-arg:" + name, value));
    options.labels().forEach((name, value) -> opts.put("label:" + name, value));
    if (options.noCache()) {
      opts.put("no-cache", "");
    }
    Map<String, Path> inputs = new LinkedHashMap<>(locals);
    Set<Path> layouts = new HashSet<>();
    options
        .namedContexts()
        .forEach(
            (name, value) -> {
              opts.put("context:" + name, value);
              if (value.startsWith(OciReference.SCHEME)) {
                layouts.add(OciReference.parse(value).dir().normalize());
              } else if (!value.contains("://")) {
                // Named as the Dockerfile frontend names the local sources it makes of them.
                inputs.put("context-" + name, Path.of(value));
              }
            });
    opts.putAll(frontendOpts);
    inputs.put("context", dir);
    inputs.put("dockerfile", buildFile.getParent());
    return new GatewayBuild(opts, inputs, layouts, options);
  }

  /**
   * How long a frontend may stay silent: {@code KILN_FRONTEND_TIMEOUT} (a duration: {@code 90s},
   * {@code 10m}), else five minutes.
   */
  private static java.time.Duration idle() {
    String value = System.getenv("KILN_FRONTEND_TIMEOUT");
    return value == null || value.isBlank()
        ? GatewayServer.DEFAULT_IDLE
        : Durations.parse("KILN_FRONTEND_TIMEOUT", value);
  }

  /** The local directories the frontend's definitions read, by name. */
  Map<String, Path> inputs() {
    return inputs;
  }

  /** Runs the frontend {@code ref}; an image's stderr goes to {@code err}. */
  Conversion run(Engine engine, FrontendRef ref, PrintStream err)
      throws FrontendException, IOException {
    FrontendRunner.Call call =
        new FrontendRunner.Call(
            opts,
            inputs,
            layouts,
            options.entitlements(),
            event -> {},
            (stream, line) -> err.println("[frontend] " + line),
            idle());
    FrontendResult result =
        ref instanceof FrontendRef.Image image
            ? FrontendRunner.image(engine, image.identifier(), call)
            : FrontendRunner.inProcess(
                engine,
                DockerfileFrontend.NAME,
                call,
                new DockerfileFrontend(options.entitlements(), options.noCacheFilter())::run);
    // Kiln's Dockerfile frontend marks the steps --no-cache reaches itself.
    Definition definition =
        options.noCache() && ref instanceof FrontendRef.Image
            ? result.definition().ignoringCache()
            : result.definition();
    ImageConfig config = result.config().map(ImageConfigJson::read).orElseGet(ImageConfig::new);
    return new Conversion(definition, config, Map.of());
  }
}
