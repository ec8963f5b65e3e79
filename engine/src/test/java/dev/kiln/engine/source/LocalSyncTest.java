package dev.kiln.engine.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSyncTest {
  @TempDir Path temp;
  private Path context;
  private Snapshotter snapshotter;

  @BeforeEach
  void context() throws IOException {
    context = Files.createDirectories(temp.resolve("context/src"));
    context = context.getParent();
    Files.writeString(context.resolve("src/kept.txt"), "kept\n");
    Files.writeString(context.resolve("src/edited.txt"), "v1\n");
    snapshotter = new Snapshotter(temp.resolve("root"));
  }

  private LocalSync sync() throws IOException {
    return new LocalSync(temp.resolve("root"), snapshotter, Duration.ZERO);
  }

  private static Path file(Snapshot snapshot, String path) {
    return snapshot.layers().get(0).dir().resolve(path);
  }

  @Test
  void aSecondCopyLinksUnchangedFilesAndCopiesChangedOnes() throws IOException {
    LocalSync sync = sync();
    assertEquals(
        LocalSource.checksum(context, List.of(), List.of()),
        sync.checksum(context, List.of(), List.of()));
    Snapshot first = sync.copy(context, List.of(), List.of());

    Files.writeString(context.resolve("src/edited.txt"), "v2, longer\n");
    String checksum = sync.checksum(context, List.of(), List.of());
    assertEquals(LocalSource.checksum(context, List.of(), List.of()), checksum);
    Snapshot second = sync.copy(context, List.of(), List.of());

    assertTrue(Files.isSameFile(file(first, "src/kept.txt"), file(second, "src/kept.txt")));
    assertFalse(Files.isSameFile(file(first, "src/edited.txt"), file(second, "src/edited.txt")));
    assertEquals("v1\n", Files.readString(file(first, "src/edited.txt")));
    assertEquals("v2, longer\n", Files.readString(file(second, "src/edited.txt")));
  }

  @Test
  void aNewInstanceStartsFromTheSavedIndex() throws IOException {
    sync().checksum(context, List.of(), List.of());
    Snapshot first = sync().copy(context, List.of(), List.of());

    LocalSync restarted = sync();
    restarted.checksum(context, List.of(), List.of());
    Snapshot second = restarted.copy(context, List.of(), List.of());

    assertTrue(Files.isSameFile(file(first, "src/kept.txt"), file(second, "src/kept.txt")));
  }

  @Test
  void aDamagedIndexCostsOnlyARereadNeverAWrongResult() throws IOException {
    LocalSync sync = sync();
    sync.checksum(context, List.of(), List.of());
    Snapshot first = sync.copy(context, List.of(), List.of());
    try (Stream<Path> indexes = Files.list(temp.resolve("root/local"))) {
      for (Path index : indexes.toList()) {
        String text = Files.readString(index);
        Files.writeString(index, text.replace("kept", "kebt"));
      }
    }

    LocalSync restarted = sync();
    Files.writeString(context.resolve("src/edited.txt"), "v3\n");
    assertEquals(
        LocalSource.checksum(context, List.of(), List.of()),
        restarted.checksum(context, List.of(), List.of()));
    Snapshot second = restarted.copy(context, List.of(), List.of());
    assertEquals("v3\n", Files.readString(file(second, "src/edited.txt")));
    assertFalse(Files.isSameFile(file(first, "src/kept.txt"), file(second, "src/kept.txt")));
  }

  @Test
  void aFileChangedWithinTheRacyWindowIsNeverLinked() throws IOException {
    LocalSync sync = new LocalSync(temp.resolve("root"), snapshotter, Duration.ofDays(1));
    sync.checksum(context, List.of(), List.of());
    Snapshot first = sync.copy(context, List.of(), List.of());
    Files.writeString(context.resolve("src/edited.txt"), "v2\n");
    sync.checksum(context, List.of(), List.of());
    Snapshot second = sync.copy(context, List.of(), List.of());
    assertFalse(Files.isSameFile(file(first, "src/kept.txt"), file(second, "src/kept.txt")));
    assertEquals("v2\n", Files.readString(file(second, "src/edited.txt")));
  }

  @Test
  void theFirstChecksumCopiesOnceAndTheCopyAfterItTakesThatLayer() throws IOException {
    LocalSync sync = sync();
    String checksum = sync.checksum(context, List.of(), List.of());
    assertEquals(LocalSource.checksum(context, List.of(), List.of()), checksum);
    assertEquals(1, snapshotter.committedIds().size(), "the first checksum copied the context");

    Snapshot copy = sync.copy(context, List.of(), List.of());
    assertEquals(1, snapshotter.committedIds().size(), "the copy made a second layer");
    assertEquals("v1\n", Files.readString(file(copy, "src/edited.txt")));
    assertEquals("kept\n", Files.readString(file(copy, "src/kept.txt")));

    LocalSync restarted = sync();
    restarted.checksum(context, List.of(), List.of());
    assertEquals(copy, restarted.copy(context, List.of(), List.of()), "unchanged: same layer");
  }

  @Test
  void aFileChangedAfterTheFirstChecksumIsCopiedAfresh() throws IOException {
    LocalSync sync = sync();
    sync.checksum(context, List.of(), List.of());
    Files.writeString(context.resolve("src/edited.txt"), "v2, changed before the copy\n");
    sync.checksum(context, List.of(), List.of());

    Snapshot copy = sync.copy(context, List.of(), List.of());

    assertEquals(2, snapshotter.committedIds().size());
    assertEquals("v2, changed before the copy\n", Files.readString(file(copy, "src/edited.txt")));
  }
}
