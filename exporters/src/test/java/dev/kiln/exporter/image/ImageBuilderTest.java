package dev.kiln.exporter.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.LayerBlob;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.testing.Tars;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageBuilderTest {
  private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
  private static final Instant EPOCH = Instant.parse("2024-01-01T00:00:00Z");

  @TempDir Path temp;

  private ImageFixture fixture() throws Exception {
    return new ImageFixture(Files.createDirectories(temp.resolve("one")));
  }

  private static ImageBuilder builder(ImageFixture f) {
    return new ImageBuilder(f.content, f.snapshotter, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  private static ImageOptions options(LayerCompression compression, boolean oci) {
    return new ImageOptions(compression, OptionalInt.empty(), oci, Optional.empty());
  }

  @Test
  void eachSnapshotLayerBecomesAGzipLayerWhoseDiffIdIsInTheConfig() throws Exception {
    ImageFixture f = fixture();
    Snapshot result =
        new Snapshot(
            List.of(f.files(Map.of("etc/base", "base\n")), f.files(Map.of("app/run", "run\n"))));

    BuiltImage image =
        builder(f)
            .build(
                result,
                Optional.of(ImageFixture.config("ADD base /", "COPY run /app/")),
                ImageOptions.DEFAULTS);

    JsonNode manifest = f.json(image.manifest());
    assertEquals(MediaTypes.OCI_MANIFEST, manifest.path("mediaType").asText());
    assertEquals(MediaTypes.OCI_CONFIG, manifest.path("config").path("mediaType").asText());
    assertEquals(2, manifest.path("layers").size());
    JsonNode config = f.json(image.config());
    for (int i = 0; i < 2; i++) {
      ImageLayer layer = image.layers().get(i);
      assertEquals(
          MediaTypes.OCI_LAYER_GZIP, manifest.path("layers").get(i).path("mediaType").asText());
      assertEquals(f.uncompressedDigest(layer.descriptor()), layer.diffId());
      assertEquals(
          layer.diffId().toString(), config.path("rootfs").path("diff_ids").get(i).asText());
      assertEquals(f.blob(layer.descriptor()).length, layer.descriptor().size());
    }
    assertEquals("layers", config.path("rootfs").path("type").asText());
    assertEquals(NOW.toString(), config.path("created").asText());
    assertEquals("amd64", config.path("architecture").asText());
    assertEquals("[\"sh\"]", config.path("config").path("Cmd").toString());
    assertEquals("COPY run /app/", config.path("history").get(1).path("created_by").asText());
    assertEquals(NOW.toString(), config.path("history").get(1).path("created").asText());
    byte[] gz = f.blob(image.layers().get(0).descriptor());
    assertEquals(0, gz[4] | gz[5] | gz[6] | gz[7], "no mtime in the gzip header");
    assertEquals(0, gz[3], "no name or other flags in the gzip header");
  }

  @Test
  void anEmptyLayerIsDroppedAndItsHistoryEntryMarkedEmpty() throws Exception {
    ImageFixture f = fixture();
    Snapshot result =
        new Snapshot(List.of(f.files(Map.of("a", "a")), f.empty(), f.files(Map.of("b", "b"))));

    BuiltImage image =
        builder(f)
            .build(
                result,
                Optional.of(ImageFixture.config("ADD a /", "ENV X=1", "RUN true", "COPY b /")),
                ImageOptions.DEFAULTS);

    assertEquals(2, image.layers().size());
    JsonNode history = f.json(image.config()).path("history");
    assertEquals(4, history.size());
    List<Boolean> empty = new ArrayList<>();
    history.forEach(h -> empty.add(h.path("empty_layer").asBoolean(false)));
    assertEquals(List.of(false, true, true, false), empty);
    assertEquals(2, f.json(image.config()).path("rootfs").path("diff_ids").size());
  }

  @Test
  void aBlobTheLayerCameFromIsReusedAsItIsWithItsMediaTypeRenamed() throws Exception {
    ImageFixture f = fixture();
    byte[] tar = new Tars().file("hello.txt", "hello\n", 0644).tar();
    byte[] gz = Tars.gzip(tar);
    Digest digest = f.content.ingest(new ByteArrayInputStream(gz), Optional.empty(), 1 << 20);
    ActiveLayer active = f.snapshotter.prepare();
    Files.writeString(active.upper().resolve("hello.txt"), "hello\n");
    Layer base =
        f.snapshotter.commit(
            active,
            Optional.of(
                new LayerBlob(MediaTypes.OCI_LAYER_GZIP, digest, gz.length, Digest.sha256(tar))));
    Snapshot result = new Snapshot(List.of(base, f.files(Map.of("new", "new"))));

    BuiltImage docker =
        builder(f).build(result, Optional.empty(), options(LayerCompression.GZIP, false));

    ImageLayer reused = docker.layers().get(0);
    assertEquals(digest, reused.descriptor().digest());
    assertEquals(gz.length, reused.descriptor().size());
    assertEquals(Digest.sha256(tar), reused.diffId());
    assertEquals(MediaTypes.DOCKER_LAYER_GZIP, reused.descriptor().mediaType());
    assertEquals(MediaTypes.DOCKER_MANIFEST, f.json(docker.manifest()).path("mediaType").asText());
    assertEquals(
        MediaTypes.DOCKER_CONFIG,
        f.json(docker.manifest()).path("config").path("mediaType").asText());

    BuiltImage zstd =
        builder(f).build(result, Optional.empty(), options(LayerCompression.ZSTD, true));
    assertEquals(digest, zstd.layers().get(0).descriptor().digest(), "never recompressed");
    assertEquals(MediaTypes.OCI_LAYER_GZIP, zstd.layers().get(0).descriptor().mediaType());
    assertEquals(MediaTypes.OCI_LAYER_ZSTD, zstd.layers().get(1).descriptor().mediaType());
  }

  @Test
  void zstdAndUncompressedLayersCarryTheirMediaTypesAndTheSameDiffIds() throws Exception {
    ImageFixture f = fixture();
    Snapshot result = new Snapshot(List.of(f.files(Map.of("data.txt", "x".repeat(100_000)))));
    List<Digest> diffIds = new ArrayList<>();
    for (LayerCompression compression : LayerCompression.values()) {
      BuiltImage image = builder(f).build(result, Optional.empty(), options(compression, true));
      ImageLayer layer = image.layers().get(0);
      assertEquals(LayerMediaTypes.of(compression, true), layer.descriptor().mediaType());
      assertEquals(f.uncompressedDigest(layer.descriptor()), layer.diffId());
      diffIds.add(layer.diffId());
    }
    assertEquals(1, diffIds.stream().distinct().count(), "one diff, three compressions");
    BuiltImage plain =
        builder(f).build(result, Optional.empty(), options(LayerCompression.UNCOMPRESSED, false));
    assertEquals(plain.layers().get(0).diffId(), plain.layers().get(0).descriptor().digest());
    assertEquals(LayerMediaTypes.DOCKER_LAYER, plain.layers().get(0).descriptor().mediaType());
  }

  @Test
  void withoutAConfigurationTheImageGetsBuildKitsEmptyOne() throws Exception {
    ImageFixture f = fixture();
    BuiltImage image =
        builder(f)
            .build(
                new Snapshot(List.of(f.files(Map.of("a", "a")))),
                Optional.empty(),
                ImageOptions.DEFAULTS);
    JsonNode config = f.json(image.config());
    assertEquals("linux", config.path("os").asText());
    assertEquals("/", config.path("config").path("WorkingDir").asText());
    assertEquals(
        ImageConfigDocument.DEFAULT_PATH, config.path("config").path("Env").get(0).asText());
    assertEquals(1, config.path("history").size(), "the layer gets a history entry");
    assertEquals(
        ImageHistory.ADDED_COMMENT, config.path("history").get(0).path("comment").asText());
  }

  @Test
  void withSourceDateEpochTwoBuildsInFreshRootsGiveTheSameManifest() throws Exception {
    ImageOptions options = ImageOptions.DEFAULTS.withSourceDateEpoch(Optional.of(EPOCH));
    Digest first =
        reproducibleBuild(
            temp.resolve("first"), options, Instant.parse("2025-03-01T10:00:00.123Z"));
    // Later, elsewhere, with files touched at other times (all after the epoch).
    Digest second =
        reproducibleBuild(temp.resolve("second"), options, Instant.parse("2026-07-09T08:07:06.5Z"));
    assertEquals(first, second);
    Digest unclamped =
        reproducibleBuild(
            temp.resolve("third"), ImageOptions.DEFAULTS, Instant.parse("2026-07-09T08:07:06Z"));
    assertNotEquals(first, unclamped, "without the epoch, times differ");
  }

  private Digest reproducibleBuild(Path dir, ImageOptions options, Instant mtime) throws Exception {
    ImageFixture f = new ImageFixture(Files.createDirectories(dir));
    Layer one = f.files(Map.of("etc/a.conf", "a\n", "usr/bin/tool", "#!/bin/sh\n"));
    Layer two = f.files(Map.of("app/big.txt", "line\n".repeat(300_000)));
    for (Layer layer : List.of(one, two)) {
      try (var paths = Files.walk(layer.dir())) {
        for (Path p : (Iterable<Path>) paths::iterator) {
          Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.from(mtime));
        }
      }
    }
    // Another clock: "now" must not leak into a reproducible image.
    ImageBuilder builder =
        new ImageBuilder(f.content, f.snapshotter, Clock.fixed(mtime, ZoneOffset.UTC));
    BuiltImage image =
        builder.build(
            new Snapshot(List.of(one, two)),
            Optional.of(ImageFixture.config("ADD . /", "COPY big.txt /app/")),
            options);
    if (options.sourceDateEpoch().isPresent()) {
      JsonNode config = f.json(image.config());
      assertEquals(EPOCH.toString(), config.path("created").asText());
      config
          .path("history")
          .forEach(h -> assertEquals(EPOCH.toString(), h.path("created").asText()));
    }
    return image.manifest().digest();
  }

  @Test
  void aConfigurationWithoutItsConfigObjectIsRefusedBeforeAnyLayerIsWritten() throws Exception {
    ImageFixture f = fixture();
    Snapshot result = new Snapshot(List.of(f.files(Map.of("a", "a"))));
    String message =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    builder(f)
                        .build(result, Optional.of("{\"os\":\"linux\"}"), ImageOptions.DEFAULTS))
            .getMessage();
    assertEquals(
        "invalid image configuration: it has no \"config\" object (the container's run"
            + " configuration)",
        message);
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> builder(f).build(result, Optional.of("{nope"), ImageOptions.DEFAULTS))
            .getMessage()
            .startsWith("invalid image configuration: not JSON"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    builder(f)
                        .build(
                            result,
                            Optional.of("{\"config\":{},\"history\":{}}"),
                            ImageOptions.DEFAULTS))
            .getMessage()
            .contains("\"history\" is not an array"));
    try (var blobs = Files.list(f.root.resolve("content/blobs/sha256"))) {
      assertFalse(blobs.findAny().isPresent(), "nothing was stored");
    }
  }

  @Test
  void badCompressionOptionsAreRefusedWithTheReason() {
    assertEquals(
        "compression=lz4: unknown compression (known: gzip, zstd, uncompressed)",
        assertThrows(IllegalArgumentException.class, () -> LayerCompression.parse("lz4"))
            .getMessage());
    assertEquals(
        "compression-level=10: gzip takes a level from 0 to 9",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new ImageOptions(
                        LayerCompression.GZIP, OptionalInt.of(10), true, Optional.empty()))
            .getMessage());
    assertEquals(
        "compression-level=3 does not apply to compression=uncompressed",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new ImageOptions(
                        LayerCompression.UNCOMPRESSED, OptionalInt.of(3), true, Optional.empty()))
            .getMessage());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new ImageOptions(
                        LayerCompression.ZSTD, OptionalInt.empty(), false, Optional.empty()))
            .getMessage()
            .startsWith("compression=zstd needs OCI media types"));
  }
}
