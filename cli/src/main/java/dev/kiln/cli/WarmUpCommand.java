package dev.kiln.cli;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionReader;
import dev.kiln.engine.graph.DefinitionWriter;
import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.local.LocalExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code kiln warm-up} (hidden): one tiny build through every layer of Kiln in a throwaway root, so
 * that {@code ./kiln} can record the classes a build loads in its class-data-sharing archive.
 * Without it the archive would only hold what the first command happened to load.
 */
@Command(name = "warm-up", hidden = true, description = "Run a tiny build to train start-up.")
final class WarmUpCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    Path temp = Files.createTempDirectory("kiln-warm-up-");
    try {
      State file =
          State.source("scratch")
              .file(List.of(new FileAction.Mkfile("/hello", 0644, "hi\n", Optional.empty())));
      Definition definition =
          DefinitionReader.parse(DefinitionWriter.write(file.definition()), "warm-up", temp);
      try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("root")))) {
        Outcome outcome =
            engine
                .solve(definition, new PlainProgressPrinter(NullStreams.printStream()))
                .toCompletableFuture()
                .get();
        var snapshot = ((SnapshotResult) ((Outcome.Solved) outcome).result()).snapshot();
        new LocalExporter(temp.resolve("out")).export(ExportInput.of(engine, snapshot));
      }
      return 0;
    } finally {
      FileTrees.deleteRecursively(temp);
    }
  }
}
