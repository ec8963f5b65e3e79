package dev.kiln.cli;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.cache.CachePruner;
import dev.kiln.engine.cache.PrunePolicy;
import dev.kiln.engine.cache.Quantities;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln prune}: removes build cache, as {@code docker buildx prune} does. */
@Command(name = "prune", description = "Remove build cache.")
final class PruneCommand implements Callable<Integer> {
  @Mixin RootOption root = new RootOption();

  @Mixin DaemonOption daemon = new DaemonOption();

  @Option(
      names = {"-a", "--all"},
      description = "Also forget the build contexts' file indexes (the next build reads them all).")
  boolean all;

  @Option(
      names = "--filter",
      paramLabel = "until=DURATION",
      description = "Remove only records unused for longer than DURATION (24h, 30m, 7d).")
  List<String> filters = List.of();

  @Option(
      names = "--keep-storage",
      paramLabel = "SIZE",
      description = "Remove least recently used records until the cache fits in SIZE (10GB).")
  Optional<String> keepStorage = Optional.empty();

  @Option(
      names = {"-f", "--force"},
      description = "Do not ask for confirmation (kiln never asks; accepted as buildx does).")
  boolean force;

  @Override
  public Integer call() {
    PrunePolicy policy;
    try {
      Optional<Duration> until = Optional.empty();
      for (String filter : filters) {
        int eq = filter.indexOf('=');
        String key = eq < 0 ? filter : filter.substring(0, eq);
        if (!key.equals("until") || eq < 0) {
          throw new IllegalArgumentException(
              "--filter " + filter + ": only until=DURATION is supported");
        }
        until = Optional.of(Quantities.parseDuration(filter.substring(eq + 1)));
      }
      policy = new PrunePolicy(all, until, keepStorage.map(Quantities::parseSize));
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    try {
      CachePruner.Pruned pruned = prune(policy);
      System.out.println(
          "Deleted "
              + pruned.records()
              + " records, "
              + pruned.layers()
              + " layers and "
              + pruned.blobs()
              + " blobs");
      System.out.println("Total:\t" + Quantities.humanSize(pruned.bytes()));
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }

  /** Prunes through the daemon, or the engine under {@code --root}. */
  private CachePruner.Pruned prune(PrunePolicy policy) throws IOException {
    Optional<DaemonAddress> address = daemon.address();
    if (address.isPresent()) {
      return CacheJson.pruned(
          DaemonHttp.post(address.get(), "/v1/prune", CacheJson.policy(policy)));
    }
    try (Engine engine = Engine.start(EngineConfig.at(root.path()))) {
      return engine.prune(policy);
    }
  }
}
