package dev.kiln.frontend.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.graph.DefinitionWriter;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.Conversion;
import dev.kiln.frontend.dockerfile.DockerIgnore;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.DockerfileError;
import dev.kiln.frontend.dockerfile.ImageConfigJson;
import dev.kiln.frontend.dockerfile.parser.DockerfileParseException;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import dev.kiln.frontend.dockerfile.parser.ErrorExcerpt;
import dev.kiln.frontend.dockerfile.parser.ParsedDockerfile;
import dev.kiln.gateway.client.Gateway;
import dev.kiln.gateway.client.GatewayException;
import dev.kiln.gateway.client.GatewayMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Kiln's Dockerfile frontend as a gateway frontend: what {@code # syntax=docker/dockerfile:1…}
 * selects. It runs in-process, a plain client of the gateway API like any image frontend: it reads
 * the Dockerfile and its ignore file through the gateway, resolves base images through it, and
 * returns the converted graph with the image config.
 */
public final class DockerfileFrontend {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The name the gateway knows it by, in errors. */
  public static final String NAME = "dockerfile (Kiln's own)";

  private final Set<String> entitlements;
  private final Set<String> noCacheFilter;

  /**
   * A frontend granting the build's {@code entitlements} (a policy of the engine's caller, not an
   * option a frontend may set) and running {@code noCacheFilter}'s stages again.
   */
  public DockerfileFrontend(Set<String> entitlements, Set<String> noCacheFilter) {
    this.entitlements = Set.copyOf(entitlements);
    this.noCacheFilter = Set.copyOf(noCacheFilter);
  }

  /** Talks with Kiln on {@code in} and {@code out} until it has returned. */
  public void run(InputStream in, OutputStream out) throws IOException {
    Gateway gateway = Gateway.connect(in, out);
    Map<String, String> opts = gateway.opts();
    String filename = opts.getOrDefault("filename", "Dockerfile");
    try {
      String text = new String(gateway.readFile("dockerfile", filename), StandardCharsets.UTF_8);
      ParsedDockerfile parsed = DockerfileParser.parse(text, filename);
      BuildOptions options = options(opts).withIgnorePatterns(ignorePatterns(gateway, filename));
      Conversion conversion;
      try {
        conversion =
            DockerfileConverter.convert(
                parsed, options, identifier -> gateway.resolveImageConfig(identifier).config());
      } catch (DockerfileError e) {
        throw new Refused(ErrorExcerpt.render(parsed.lines(), filename, e.line(), e.getMessage()));
      }
      String ref =
          gateway.solve(JSON.readTree(DefinitionWriter.write(conversion.definition())), false);
      gateway.ret(
          new GatewayMessage.Return(
              Optional.of(ref),
              Optional.of(ImageConfigJson.write(conversion.config())),
              Map.of(),
              Optional.empty()));
    } catch (DockerfileParseException e) {
      refuse(gateway, e.excerpt());
    } catch (Refused e) {
      refuse(gateway, e.getMessage());
    } catch (GatewayException e) {
      refuse(gateway, e.getMessage());
    }
  }

  /** A Dockerfile error, already rendered. */
  private static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private static void refuse(Gateway gateway, String message) throws IOException {
    gateway.ret(
        new GatewayMessage.Return(
            Optional.empty(), Optional.empty(), Map.of(), Optional.of(message)));
  }

  /** The Dockerfile's own ignore file ({@code NAME.dockerignore}) wins over the context's. */
  private static List<String> ignorePatterns(Gateway gateway, String filename) throws IOException {
    for (String[] candidate :
        List.of(
            new String[] {"dockerfile", filename + ".dockerignore"},
            new String[] {"context", ".dockerignore"})) {
      GatewayMessage.FileStat stat;
      try {
        stat = gateway.stat(candidate[0], candidate[1]);
      } catch (GatewayException e) {
        continue; // no such file
      }
      if (stat.kind().equals("file")) {
        return DockerIgnore.parse(
            new String(gateway.readFile(candidate[0], candidate[1]), StandardCharsets.UTF_8));
      }
    }
    return List.of();
  }

  /**
   * The build's options from the frontend options, named as BuildKit's Dockerfile frontend does.
   */
  private BuildOptions options(Map<String, String> opts) {
    Map<String, String> buildArgs = new LinkedHashMap<>();
    Map<String, String> contexts = new LinkedHashMap<>();
    Map<String, String> labels = new LinkedHashMap<>();
    opts.forEach(
        (key, value) -> {
          if (key.startsWith("build-arg:")) {
            buildArgs.put(key.substring("build-arg:".length()), value);
          } else if (key.startsWith("context:")) {
            contexts.put(key.substring("context:".length()), value);
          } else if (key.startsWith("label:")) {
            labels.put(key.substring("label:".length()), value);
          }
        });
    return new BuildOptions(
        Optional.ofNullable(opts.get("target")),
        buildArgs,
        contexts,
        opts.containsKey("no-cache"),
        labels,
        List.of(),
        entitlements,
        noCacheFilter);
  }
}
