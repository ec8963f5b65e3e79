package dev.kiln.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.executor.ExecutorChoice;
import dev.kiln.engine.executor.SandboxSettings;
import dev.kiln.engine.executor.StepLimiter;
import dev.kiln.engine.executor.StepLimits;
import dev.kiln.engine.host.UserNamespace;
import dev.kiln.engine.snapshot.OverlayProbe;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kiln info}: how Kiln runs on this host (rootful or rootless, id maps, executor,
 * snapshotter, network, storage root) and why a faster choice was not taken. It starts no engine,
 * so it answers while a daemon holds the root.
 */
@Command(name = "info", description = "Show how Kiln runs on this host.")
final class InfoCommand implements Callable<Integer> {
  @Mixin RootOption root = new RootOption();

  @Option(names = "--format", paramLabel = "text|json", defaultValue = "text")
  String format;

  @Override
  public Integer call() throws IOException {
    if (!format.equals("text") && !format.equals("json")) {
      System.err.println("error: --format " + format + ": use text or json");
      return 2;
    }
    HostMode mode = HostMode.current();
    UserNamespace namespace = UserNamespace.current();
    Map<String, String> facts = new LinkedHashMap<>();
    List<String> notes = new ArrayList<>();
    facts.put("Mode", mode.describe());
    facts.put("UID map", HostMode.mapping(namespace.uids()));
    facts.put("GID map", HostMode.mapping(namespace.gids()));
    ExecutorChoice.Description executor =
        ExecutorChoice.describe(SandboxSettings.from(com.typesafe.config.ConfigFactory.load()));
    facts.put("Executor", executor.executor());
    executor.note().ifPresent(notes::add);
    facts.put("Seccomp", "Docker's default profile's refusals (x86-64; other ABIs refused)");
    facts.put("Snapshotter", snapshotter(mode, notes));
    facts.put(
        "Network",
        "the host's for RUN (the default network: BuildKit's without CNI; --network=host needs"
            + " network.host); none for --network=none (loopback only)");
    facts.put(
        "Step limits",
        StepLimiter.describe(StepLimits.from(com.typesafe.config.ConfigFactory.load())));
    facts.put("Storage root", root.path().toString());
    mode.refusal().ifPresent(notes::add);
    mode.warning().ifPresent(notes::add);
    print(facts, notes);
    return 0;
  }

  private String snapshotter(HostMode mode, List<String> notes) {
    if (mode.refusal().isPresent()) {
      return "none (no engine runs)";
    }
    Optional<String> failure;
    try {
      java.nio.file.Files.createDirectories(root.path());
      failure = OverlayProbe.failure(root.path());
    } catch (IOException e) {
      failure = Optional.of(e.getMessage());
    }
    if (failure.isEmpty()) {
      return "overlay (userxattr)";
    }
    notes.add(
        "the copy snapshotter copies every step's input: overlay, the faster one, failed here: "
            + failure.get());
    return "copy";
  }

  private void print(Map<String, String> facts, List<String> notes) {
    if (format.equals("json")) {
      ObjectMapper json = new ObjectMapper();
      ObjectNode node = json.createObjectNode();
      facts.forEach(
          (name, value) -> node.put(name.toLowerCase(Locale.ROOT).replace(' ', '_'), value));
      node.putPOJO("notes", notes);
      System.out.println(node.toPrettyString());
      return;
    }
    facts.forEach((name, value) -> System.out.printf(Locale.ROOT, "%-13s %s%n", name + ":", value));
    for (String note : notes) {
      System.out.println("Note:         " + note);
    }
  }
}
