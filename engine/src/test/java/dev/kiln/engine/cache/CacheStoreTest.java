package dev.kiln.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheStoreTest {
  @TempDir Path root;

  static final Digest A = Digest.sha256("a");
  static final Digest B = Digest.sha256("b");

  private static CacheRecord record(long millis, String... layers) {
    return CacheRecord.of(List.of(List.of(layers)), "exec", "[2/3] RUN make", millis);
  }

  @Test
  void recordsSurviveClosingAndReopening() throws IOException {
    try (CacheStore store = CacheStore.open(root)) {
      store.put(A, record(42, "1", "7"));
    }
    try (CacheStore store = CacheStore.open(root)) {
      assertEquals(Optional.of(record(42, "1", "7")), store.get(A));
      assertEquals(Optional.empty(), store.get(B));
    }
  }

  @Test
  void aDamagedValueCostsOnlyItsEntry() throws IOException {
    try (CacheStore store = CacheStore.open(root)) {
      store.put(A, record(1, "1"));
      store.put(B, record(2, "2"));
      store.putRaw(B, "0000\n{\"layers\":[\"9\"]}".getBytes(StandardCharsets.UTF_8));

      assertEquals(Optional.empty(), store.get(B));
      assertEquals(Optional.of(record(1, "1")), store.get(A));
    }
  }

  @Test
  void aSecondOpenerIsRefusedWithAClearError() throws IOException {
    try (CacheStore first = CacheStore.open(root)) {
      IOException e = assertThrows(IOException.class, () -> CacheStore.open(root));
      assertTrue(e.getMessage().contains("is in use by another kiln"), e.getMessage());
    }
  }

  @Test
  void theConsistencyPassDropsRecordsWhoseDataIsGoneAndDamagedOnes() throws IOException {
    try (CacheStore store = CacheStore.open(root)) {
      store.put(A, record(1, "1"));
      store.put(B, record(2, "gone"));
      Digest damaged = Digest.sha256("c");
      store.putRaw(damaged, "not a record".getBytes(StandardCharsets.UTF_8));

      assertEquals(2, store.dropWhere(r -> r.layers().contains("gone")));
      assertEquals(Optional.of(record(1, "1")), store.get(A));
      assertEquals(Optional.empty(), store.get(B));
      assertEquals(0, store.dropWhere(record -> false));
    }
  }

  @Test
  void layerMetadataSurvivesReopeningAndOnlyPresentLayersKeepIt() throws IOException {
    LayerMeta top = new LayerMeta("7", Optional.of("1"), 4096, 42);
    try (CacheStore store = CacheStore.open(root)) {
      store.putLayer(new LayerMeta("1", Optional.empty(), 10, 41));
      store.putLayer(top);
    }
    try (CacheStore store = CacheStore.open(root)) {
      assertEquals(Optional.of(top), store.layer("7"));
      assertEquals(Optional.empty(), store.layer("2"));

      store.dropLayersExcept(java.util.Set.of("7"));

      assertEquals(Optional.empty(), store.layer("1"));
      assertEquals(Optional.of(top), store.layer("7"));
    }
  }
}
