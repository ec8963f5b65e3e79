package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Dockerfile versions of the wide and deep graphs: 64 stages that each RUN one step and a final
 * stage that copies from all of them, and one stage of 100 RUNs. Each is solved cold; figures are
 * printed against a one-RUN Dockerfile measured in the same engine.
 */
class DockerfileShapesBench {
  @TempDir Path temp;

  @Test
  void wideAndDeepDockerfiles() throws Exception {
    try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("root")))) {
      BuildOptions options =
          BuildOptions.defaults().withNamedContexts(Map.of("busybox", BusyboxLayout.identifier()));
      Benchmarks.solve(engine, convert(engine, "FROM busybox\n", options)); // imports the base once

      double one =
          Benchmarks.time(engine, convert(engine, "FROM busybox\nRUN echo one > /one\n", options));

      StringBuilder wide = new StringBuilder();
      for (int i = 0; i < 64; i++) {
        wide.append("FROM busybox AS s").append(i).append('\n');
        wide.append("RUN mkdir -p /out && echo ")
            .append(i)
            .append(" > /out/")
            .append(i)
            .append('\n');
      }
      wide.append("FROM busybox\n");
      for (int i = 0; i < 64; i++) {
        wide.append("COPY --from=s").append(i).append(" /out /out\n");
      }
      Definition wideGraph = convert(engine, wide.toString(), options);
      double wideSeconds = Benchmarks.time(engine, wideGraph);

      StringBuilder deep = new StringBuilder("FROM busybox\n");
      for (int i = 0; i < 100; i++) {
        deep.append("RUN echo ").append(i).append(" >> /chain\n");
      }
      Definition deepGraph = convert(engine, deep.toString(), options);
      double deepSeconds = Benchmarks.time(engine, deepGraph);

      Path wideOut = Benchmarks.export(engine, wideGraph, temp.resolve("wide"));
      try (var files = Files.list(wideOut.resolve("out"))) {
        assertEquals(64, files.count());
      }
      Path deepOut = Benchmarks.export(engine, deepGraph, temp.resolve("deep"));
      assertEquals(100, Files.readAllLines(deepOut.resolve("chain")).size());

      Benchmarks.report("Dockerfile baseline: one RUN", one, one);
      Benchmarks.report("Dockerfile wide: 64 stages + 64 COPY --from", wideSeconds, one);
      Benchmarks.report("Dockerfile deep: 100 RUN in one stage", deepSeconds, one);
    }
  }

  private static Definition convert(Engine engine, String dockerfile, BuildOptions options) {
    return DockerfileConverter.convert(
            DockerfileParser.parse(dockerfile, "Dockerfile"), options, engine::imageConfig)
        .definition();
  }
}
