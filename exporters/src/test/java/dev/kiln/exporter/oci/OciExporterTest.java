package dev.kiln.exporter.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.registry.ImageReference;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.exporter.ArchiveOutput;
import dev.kiln.exporter.Destination;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.image.ImageFixture;
import dev.kiln.exporter.image.ImageOptions;
import dev.kiln.exporter.image.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciExporterTest {
  private static final String CONFIG =
      ImageFixture.config("ADD files /", "RUN rm a.txt && rm -r dir && ...", "RUN true");

  @TempDir Path temp;
  ImageFixture f;
  Snapshot result;

  @BeforeEach
  void snapshot() throws Exception {
    f = new ImageFixture(Files.createDirectories(temp.resolve("state")));
    result =
        new Snapshot(
            List.of(
                f.files(
                    Map.of(
                        "a.txt", "deleted above\n",
                        "dir/old.txt", "hidden by the opaque dir above\n",
                        "keep/c.txt", "kept\n")),
                f.deletions(List.of("a.txt"), "dir", Map.of("dir/new.txt", "new\n")),
                f.empty()));
  }

  private Exported export(Destination dest, List<ImageReference> names) throws IOException {
    OciExporter exporter = new OciExporter(dest, names, ImageOptions.DEFAULTS);
    exporter.resolve();
    return exporter.export(new ExportInput(result, f.snapshotter, f.content, Optional.of(CONFIG)));
  }

  private Map<String, String> merged() throws IOException {
    try (MountedFs view = f.snapshotter.mount(result, Optional.empty())) {
      return Tools.tree(view.path());
    }
  }

  @Test
  void anOciArchiveIsAcceptedBySkopeo() throws Exception {
    Path archive = temp.resolve("image.tar");
    Exported exported =
        export(new Destination.File(archive), List.of(ImageReference.parse("kiln/test:v1")));

    JsonNode inspected = Tools.skopeoInspect("oci-archive:" + archive);
    assertEquals(exported.manifest().get().digest().toString(), inspected.path("Digest").asText());
    assertEquals(2, inspected.path("Layers").size(), "the empty third layer is dropped");
    assertEquals("amd64", inspected.path("Architecture").asText());
    assertEquals(
        0, Files.list(temp).filter(p -> p.getFileName().toString().contains(".kiln-")).count());
  }

  @Test
  void anOciLayoutDirectoryUnpacksWithUmociToTheSnapshotsMergedContent() throws Exception {
    Path layout = temp.resolve("layout");
    export(new Destination.Directory(layout), List.of(ImageReference.parse("kiln/test:v1")));

    JsonNode index = ImageFixture.JSON.readTree(layout.resolve("index.json").toFile());
    JsonNode entry = index.path("manifests").get(0);
    assertEquals(
        "docker.io/kiln/test:v1",
        entry.path("annotations").path("io.containerd.image.name").asText());
    assertEquals("v1", entry.path("annotations").path(Descriptor.REF_NAME).asText());
    assertEquals(MediaTypes.OCI_MANIFEST, entry.path("mediaType").asText());
    assertEquals(2, Tools.skopeoInspect("oci:" + layout + ":v1").path("Layers").size());

    Path bundle = temp.resolve("bundle");
    Tools.run("umoci", "unpack", "--rootless", "--image", layout + ":v1", bundle.toString());
    Map<String, String> unpacked = Tools.tree(bundle.resolve("rootfs"));
    assertEquals(merged(), unpacked);
    assertFalse(unpacked.containsKey("a.txt"), "the whiteout deleted a.txt");
    assertFalse(unpacked.containsKey("dir/old.txt"), "the opaque dir hid dir/old.txt");
    assertTrue(unpacked.containsKey("dir/new.txt"));
  }

  @Test
  void anUnnamedLayoutIsReadableWithoutATag() throws Exception {
    Path layout = temp.resolve("layout");
    export(new Destination.Directory(layout), List.of());
    assertEquals(2, Tools.skopeoInspect("oci:" + layout).path("Layers").size());
  }

  @Test
  void aLayoutDirectoryReplacesAnEarlierLayoutButNothingElse() throws Exception {
    Path layout = temp.resolve("layout");
    export(new Destination.Directory(layout), List.of());
    Files.writeString(layout.resolve("stale"), "from the first export");
    export(new Destination.Directory(layout), List.of());
    assertFalse(Files.exists(layout.resolve("stale")));

    Path other = Files.createDirectories(temp.resolve("home"));
    Files.writeString(other.resolve("precious.txt"), "mine");
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new OciExporter(new Destination.Directory(other), List.of(), ImageOptions.DEFAULTS)
                    .resolve());
    assertEquals(
        "--output dest: "
            + other
            + " exists and is not an OCI layout; remove it or choose another"
            + " directory",
        refused.getMessage());
    try (Stream<Path> left = Files.list(temp)) {
      assertEquals(
          List.of("home", "layout", "state"),
          left.map(p -> p.getFileName().toString()).sorted().toList(),
          "no temporary directory is left");
    }
  }

  @Test
  void aDestinationWhoseDirectoryIsMissingIsRefusedBeforeTheBuild() {
    Path dest = temp.resolve("missing/image.tar");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new OciExporter(new Destination.File(dest), List.of(), ImageOptions.DEFAULTS)
                    .resolve());
    assertEquals(
        "--output dest: directory " + dest.getParent() + " does not exist; create it first",
        e.getMessage());
  }

  @Test
  void aFailedExportLeavesTheEarlierFileAndNoTemporaryFile() throws Exception {
    Path archive = temp.resolve("image.tar");
    Files.writeString(archive, "the previous archive");
    IOException failure =
        assertThrows(
            IOException.class,
            () ->
                ArchiveOutput.write(
                    new Destination.File(archive),
                    out -> {
                      out.write(java.nio.ByteBuffer.allocate(3 << 20));
                      throw new IOException("disk full");
                    }));
    assertEquals("disk full", failure.getMessage());
    assertEquals("the previous archive", Files.readString(archive));
    try (Stream<Path> left = Files.list(temp)) {
      assertEquals(
          List.of("image.tar", "state"),
          left.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new OciExporter(new Destination.File(archive), List.of(), ImageOptions.DEFAULTS)
                .export(new ExportInput(result, f.snapshotter, f.content, Optional.of("{}"))));
    assertEquals("the previous archive", Files.readString(archive));
  }

  @Test
  void aStreamDestinationGetsTheWholeLayoutAsATar() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exported exported = export(new Destination.Stream(out, "standard output"), List.of());
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
        if (e.getName().equals("oci-layout")) {
          assertEquals(
              "{\"imageLayoutVersion\":\"1.0.0\"}",
              new String(tar.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(0, e.getModTime().getTime());
        assertEquals("", e.getUserName());
      }
    }
    assertEquals(
        List.of("oci-layout", "index.json", "blobs/", "blobs/sha256/"), names.subList(0, 4));
    assertTrue(names.contains("blobs/sha256/" + exported.manifest().get().digest().hex()));
    assertEquals(4 + 4, names.size(), "manifest, config and two layers");
  }
}
