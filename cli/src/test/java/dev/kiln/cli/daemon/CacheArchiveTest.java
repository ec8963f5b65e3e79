package dev.kiln.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheArchiveTest {
  @TempDir Path temp;

  @Test
  void leavesOutTheBlobsTheClientHasAndKeepsTheIndex() throws IOException {
    Path layout = layout();
    String a = Digest.sha256("a").hex();
    String b = Digest.sha256("b").hex();
    Path archive = temp.resolve("cache.tar");

    CacheArchive.write(layout, Set.of(a), archive);

    assertEquals(List.of("oci-layout", "index.json", "blobs/sha256/" + b), names(archive));
    CacheArchive.write(layout, Set.of(), archive);
    assertEquals(4, names(archive).size());
  }

  @Test
  void aLayoutWithoutItsIndexIsAnError() throws IOException {
    Path layout = layout();
    Files.delete(layout.resolve("index.json"));
    assertThrows(
        IOException.class, () -> CacheArchive.write(layout, Set.of(), temp.resolve("cache.tar")));
  }

  private Path layout() throws IOException {
    Path layout =
        Files.createDirectories(temp.resolve("layout/blobs/sha256")).getParent().getParent();
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2}");
    for (String content : List.of("a", "b")) {
      Files.writeString(
          layout.resolve("blobs/sha256/" + Digest.sha256(content).hex()),
          content,
          StandardCharsets.UTF_8);
    }
    return layout;
  }

  private static List<String> names(Path archive) throws IOException {
    List<String> names = new ArrayList<>();
    try (InputStream in = Files.newInputStream(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        names.add(entry.getName());
      }
    }
    return names;
  }
}
