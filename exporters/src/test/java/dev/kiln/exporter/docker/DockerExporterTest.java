package dev.kiln.exporter.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.registry.ImageReference;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.TestLayers;
import dev.kiln.exporter.Destination;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.image.ImageFixture;
import dev.kiln.exporter.image.ImageOptions;
import dev.kiln.exporter.image.LayerCompression;
import dev.kiln.exporter.image.Tools;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerExporterTest {
  private static final ImageOptions DOCKER_TYPES =
      new ImageOptions(LayerCompression.GZIP, OptionalInt.empty(), false, Optional.empty());

  @TempDir Path temp;
  ImageFixture f;
  Path archive;
  Exported exported;

  @BeforeEach
  void export() throws Exception {
    f = new ImageFixture(Files.createDirectories(temp.resolve("state")));
    Snapshot result =
        new Snapshot(
            List.of(TestLayers.busybox(f.snapshotter), f.files(Map.of("hello.txt", "hello\n"))));
    archive = temp.resolve("image.tar");
    DockerExporter exporter =
        new DockerExporter(
            new Destination.File(archive),
            List.of(ImageReference.parse("kiln-test:v1")),
            DOCKER_TYPES);
    exporter.resolve();
    String config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"cat\",\"/hello.txt\"]},"
            + "\"history\":[{\"created_by\":\"busybox\"},{\"created_by\":\"COPY hello.txt /\"}]}";
    exported =
        exporter.export(new ExportInput(result, f.snapshotter, f.content, Optional.of(config)));
  }

  private Map<String, byte[]> entries() throws Exception {
    Map<String, byte[]> entries = new HashMap<>();
    try (InputStream in = Files.newInputStream(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        entries.put(e.getName(), tar.readAllBytes());
      }
    }
    return entries;
  }

  @Test
  void theArchiveHasDockersManifestJsonPointingAtTheBlobs() throws Exception {
    Map<String, byte[]> entries = entries();
    JsonNode manifest = ImageFixture.JSON.readTree(entries.get("manifest.json")).get(0);
    assertEquals("[\"kiln-test:v1\"]", manifest.path("RepoTags").toString());
    assertTrue(entries.containsKey(manifest.path("Config").asText()));
    assertEquals(2, manifest.path("Layers").size());
    manifest.path("Layers").forEach(l -> assertTrue(entries.containsKey(l.asText()), l.asText()));
    JsonNode imageManifest =
        ImageFixture.JSON.readTree(
            entries.get("blobs/sha256/" + exported.manifest().get().digest().hex()));
    assertEquals(MediaTypes.DOCKER_MANIFEST, imageManifest.path("mediaType").asText());
    assertEquals(
        MediaTypes.DOCKER_LAYER_GZIP,
        imageManifest.path("layers").get(0).path("mediaType").asText());
  }

  @Test
  void skopeoReadsTheDockerArchive() throws Exception {
    JsonNode inspected = Tools.skopeoInspect("docker-archive:" + archive);
    assertEquals(2, inspected.path("Layers").size());
    assertEquals("linux", inspected.path("Os").asText());
    JsonNode config =
        ImageFixture.JSON.readTree(
            Tools.run("skopeo", "inspect", "--config", "docker-archive:" + archive));
    assertEquals("[\"cat\",\"/hello.txt\"]", config.path("config").path("Cmd").toString());
  }

  @Test
  void dockerLoadsAndRunsTheArchive() throws Exception {
    Assumptions.assumeTrue(
        Tools.dockerDaemon(), "no Docker daemon (docker info failed): docker load not tested");
    Tools.run("docker", "load", "-i", archive.toString());
    assertEquals("hello\n", Tools.run("docker", "run", "--rm", "kiln-test:v1"));
    Tools.run("docker", "rmi", "kiln-test:v1");
  }

  @Test
  void zstdLayersAndDirectoriesAreRefusedWithTheReason() {
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new DockerExporter(
                        new Destination.File(archive),
                        List.of(),
                        new ImageOptions(
                            LayerCompression.ZSTD, OptionalInt.empty(), true, Optional.empty())))
            .getMessage()
            .startsWith("type=docker: compression=zstd"));
    assertEquals(
        "type=docker writes an archive: give dest=FILE or dest=-",
        assertThrows(
                IllegalArgumentException.class,
                () -> new DockerExporter(new Destination.Directory(temp), List.of(), DOCKER_TYPES))
            .getMessage());
  }
}
