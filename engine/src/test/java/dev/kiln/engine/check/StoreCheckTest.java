package dev.kiln.engine.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.cache.CacheRecord;
import dev.kiln.engine.cache.CacheStore;
import dev.kiln.engine.cache.LayerMeta;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreCheckTest {
  @TempDir Path root;

  private static Definition definition() throws Exception {
    return State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo x > /x").definition();
  }

  /** Builds {@link #definition()} in an engine on the root, which it leaves closed. */
  private void build() throws Exception {
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Outcome outcome =
          engine.solve(definition(), event -> {}).toCompletableFuture().get(2, TimeUnit.MINUTES);
      assertInstanceOf(Outcome.Solved.class, outcome, outcome.toString());
    }
  }

  private Path blobs() {
    return root.resolve("content/blobs/sha256");
  }

  /** Each blob's file and its bytes. */
  private Map<Path, byte[]> blobFiles() throws IOException {
    Map<Path, byte[]> files = new HashMap<>();
    try (Stream<Path> list = Files.list(blobs())) {
      for (Path file : (Iterable<Path>) list.sorted()::iterator) {
        files.put(file, Files.readAllBytes(file));
      }
    }
    return files;
  }

  /** The problems as "kind subject" lines, to compare whole. */
  private static Set<String> found(CheckReport report) {
    return report.problems().stream()
        .map(p -> p.kind() + " " + p.subject())
        .collect(Collectors.toSet());
  }

  @Test
  void aRootAfterABuildChecksClean() throws Exception {
    build();

    CheckReport report = Engine.check(root, false);

    assertEquals(List.of(), report.problems());
    assertTrue(report.clean());
    assertTrue(report.checked().blobs() >= 2, report.checked().toString());
    assertEquals(2, report.checked().records(), "the source's and the step's records");
    assertTrue(report.checked().layers() >= 2, report.checked().toString());
    assertEquals(0, report.checked().images());
  }

  @Test
  void eachDamageIsReportedExactlyAndARepairDropsOnlyTheBrokenEntries() throws Exception {
    build();
    Map<Path, byte[]> before = blobFiles();
    List<Path> files = before.keySet().stream().sorted().toList();
    assertTrue(files.size() >= 2, "the build stored the image's blobs: " + files);
    Path flipped = files.get(0);
    Path truncated = files.get(1);
    CacheStore.Entry step;
    String stepLayer;
    try (CacheStore cache = CacheStore.open(root)) {
      step =
          cache.entries().stream()
              .filter(e -> e.record().kind().equals("exec"))
              .findFirst()
              .orElseThrow();
      List<String> layers = step.record().layers();
      stepLayer = layers.get(layers.size() - 1);
      assertTrue(cache.layer(stepLayer).isPresent(), "the step's layer has its metadata");
    }

    byte[] bytes = Files.readAllBytes(flipped);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(flipped, bytes);
    byte[] whole = Files.readAllBytes(truncated);
    Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 2));
    Path ingest = root.resolve("content/ingest");
    Path temp = Files.writeString(ingest.resolve("ingest-123.tmp"), "half a blob");
    Path empty = Files.createFile(ingest.resolve(Digest.sha256("empty").hex() + ".partial"));
    Path resumable =
        Files.writeString(ingest.resolve(Digest.sha256("pulling").hex() + ".partial"), "pull");
    Path snapshots = root.resolve("snapshots");
    deleteTree(snapshots.resolve(stepLayer));
    Path unfinished = snapshots.resolve("active-0b1c");
    Files.writeString(Files.createDirectories(unfinished.resolve("fs")).resolve("x"), "x");

    CheckReport report = Engine.check(root, false);

    assertEquals(
        Set.of(
            "CORRUPT_BLOB " + flipped,
            "CORRUPT_BLOB " + truncated,
            "RECORD_MISSING_LAYER cache record " + step.key(),
            "STALE_LAYER_META layer metadata " + stepLayer,
            "TEMP_FILE " + temp,
            "TEMP_FILE " + empty,
            "UNFINISHED_LAYER " + unfinished),
        found(report));
    assertEquals(4, report.remaining().size(), "the leftovers are not damage");
    assertFalse(report.clean());
    Problem record =
        report.problems().stream()
            .filter(p -> p.kind() == Problem.Kind.RECORD_MISSING_LAYER)
            .findFirst()
            .orElseThrow();
    assertEquals(
        "exec \"" + step.record().description() + "\" names layer " + stepLayer + ", which is gone",
        record.detail());
    assertTrue(Files.exists(flipped) && Files.exists(temp), "a check changes nothing");

    CheckReport repaired = Engine.check(root, true);

    assertEquals(found(report), found(repaired));
    assertTrue(
        repaired.problems().stream().allMatch(Problem::repaired), repaired.problems().toString());
    assertTrue(repaired.clean());
    for (Map.Entry<Path, byte[]> blob : before.entrySet()) {
      if (blob.getKey().equals(flipped) || blob.getKey().equals(truncated)) {
        assertFalse(Files.exists(blob.getKey()), blob.getKey() + " is deleted");
      } else {
        assertTrue(
            java.util.Arrays.equals(blob.getValue(), Files.readAllBytes(blob.getKey())),
            "a healthy blob is untouched: " + blob.getKey());
      }
    }
    assertFalse(Files.exists(temp) || Files.exists(empty) || Files.exists(unfinished));
    assertTrue(Files.exists(resumable), "a partial download with bytes is kept for resuming");
    try (CacheStore cache = CacheStore.open(root)) {
      assertEquals(Optional.empty(), cache.get(step.key()));
      assertEquals(Optional.empty(), cache.layer(stepLayer));
      List<CacheStore.Entry> left = cache.entries();
      assertEquals(1, left.size(), "the source's record stays: " + left);
      for (String layer : left.get(0).record().layers()) {
        assertTrue(Files.isDirectory(snapshots.resolve(layer).resolve("fs")), "layer " + layer);
      }
    }
    assertEquals(List.of(), Engine.check(root, false).problems());

    build(); // the dropped record is a cache miss: its step runs again

    assertEquals(List.of(), Engine.check(root, false).problems());
  }

  @Test
  void aBrokenLayerGoesOnlyAfterTheRecordsNamingIt() throws Exception {
    Digest key = Digest.sha256("record");
    try (CacheStore cache = CacheStore.open(root)) {
      cache.put(key, CacheRecord.of(List.of(List.of("7")), "exec", "RUN make", 1));
      cache.putLayer(new LayerMeta("7", Optional.empty(), 10, 1));
    }
    Path layer = Files.createDirectories(root.resolve("snapshots/7"));
    Files.writeString(layer.resolve("blob.json"), "{}");

    CheckReport report = Engine.check(root, false);

    assertEquals(
        List.of(
            "RECORD_MISSING_LAYER cache record " + key,
            "STALE_LAYER_META layer metadata 7",
            "BROKEN_LAYER " + layer),
        report.problems().stream().map(p -> p.kind() + " " + p.subject()).toList(),
        "in the order a repair takes them");
    assertEquals(1, report.checked().layers());

    CheckReport repaired = Engine.check(root, true);

    assertTrue(repaired.clean(), repaired.toString());
    assertFalse(Files.exists(layer));
    try (CacheStore cache = CacheStore.open(root)) {
      assertEquals(List.of(), cache.entries());
    }
    assertEquals(List.of(), Engine.check(root, false).problems());
  }

  @Test
  void strayFilesAndBrokenImagesAreReportedAndLeftToAPerson() throws Exception {
    CacheStore.open(root).close();
    ContentStore content = new ContentStore(root);
    Digest config = blob(content, "{\"architecture\":\"amd64\"}");
    Digest missing = Digest.sha256("a layer that was never stored");
    Digest manifest =
        blob(
            content,
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":{\"mediaType\":\"x\",\"digest\":\""
                + config
                + "\",\"size\":1},\"layers\":[{\"mediaType\":\"x\",\"digest\":\""
                + missing
                + "\",\"size\":1}]}");
    new ImageStore(root, content)
        .tag(
            "example.com/app:1",
            new Descriptor(MediaTypes.OCI_MANIFEST, manifest, 1, Map.of(), Optional.empty()));
    Path stray = Files.writeString(blobs().resolve("notes.txt"), "mine");

    CheckReport report = Engine.check(root, true);

    assertEquals(
        Set.of("BROKEN_IMAGE image example.com/app:1", "STRAY_FILE " + stray), found(report));
    assertEquals(
        "layer "
            + missing
            + " (named by "
            + manifest
            + ") is missing;"
            + " build or tag example.com/app:1 again",
        report.problems().stream()
            .filter(p -> p.kind() == Problem.Kind.BROKEN_IMAGE)
            .findFirst()
            .orElseThrow()
            .detail());
    assertFalse(report.clean(), "a repair cannot fix these");
    assertTrue(report.repaired().isEmpty());
    assertEquals(new CheckReport.Counts(2, 0, 0, 1), report.checked());
    assertTrue(Files.exists(stray));
  }

  @Test
  void aMissingRootIsRefusedAndNotMade() {
    Path missing = root.resolve("nope");
    IOException e = assertThrows(IOException.class, () -> Engine.check(missing, false));
    assertEquals(
        missing + " does not exist: no Kiln root to check (is --root right?)", e.getMessage());
    assertFalse(Files.exists(missing));

    IOException notKiln = assertThrows(IOException.class, () -> Engine.check(root, false));
    assertTrue(notKiln.getMessage().contains("is not a Kiln root"), notKiln.getMessage());
    assertFalse(Files.exists(root.resolve("lock")), "nothing is made in a directory not Kiln's");
  }

  @Test
  void aRootInUseIsRefused() throws Exception {
    CacheStore.open(root).close();
    try (FileChannel channel =
            FileChannel.open(
                root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        var lock = channel.lock()) {
      IOException e = assertThrows(IOException.class, () -> Engine.check(root, true));
      assertTrue(e.getMessage().contains("another kiln"), e.getMessage());
    }
  }

  private static Digest blob(ContentStore content, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return content.ingest(new ByteArrayInputStream(bytes), Optional.empty(), bytes.length);
  }

  private static void deleteTree(Path dir) throws IOException {
    dev.kiln.engine.snapshot.FileTrees.deleteRecursively(dir);
  }
}
