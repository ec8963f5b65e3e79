package dev.kiln.exporter.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.layer.Compression;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.OverlayFormat;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** A real snapshotter and content store under a test directory, and ways to read images back. */
public final class ImageFixture {
  public static final ObjectMapper JSON = new ObjectMapper();

  public final Path root;
  public final Snapshotter snapshotter;
  public final ContentStore content;

  public ImageFixture(Path temp) throws IOException {
    this.snapshotter = TestLayers.snapshotter(temp);
    this.root = temp.resolve("kiln");
    this.content = new ContentStore(root);
  }

  public Layer files(Map<String, String> files) throws IOException {
    return TestLayers.files(snapshotter, files);
  }

  /** A layer with no change at all, as a step that wrote nothing leaves. */
  public Layer empty() throws IOException {
    return snapshotter.commit(snapshotter.prepare());
  }

  /** A layer deleting {@code deleted} (whiteouts) and replacing {@code opaque} by a new dir. */
  public Layer deletions(List<String> deleted, String opaque, Map<String, String> files)
      throws IOException {
    ActiveLayer active = snapshotter.prepare();
    for (String path : deleted) {
      Path target = active.upper().resolve(path);
      Files.createDirectories(target.getParent());
      OverlayFormat.createWhiteouts(List.of(target));
    }
    Path dir = Files.createDirectories(active.upper().resolve(opaque));
    OverlayFormat.markOpaque(dir);
    for (Map.Entry<String, String> file : files.entrySet()) {
      Path target = active.upper().resolve(file.getKey());
      Files.createDirectories(target.getParent());
      Files.writeString(target, file.getValue());
    }
    return snapshotter.commit(active);
  }

  public byte[] blob(Descriptor descriptor) throws IOException {
    try (InputStream in = content.open(descriptor.digest())) {
      return in.readAllBytes();
    }
  }

  public JsonNode json(Descriptor descriptor) throws IOException {
    return JSON.readTree(blob(descriptor));
  }

  /** The digest of a blob's uncompressed bytes: what its diff ID must be. */
  public Digest uncompressedDigest(Descriptor descriptor) throws IOException {
    MessageDigest sha = Digest.newSha256();
    try (InputStream in = Compression.decompress(content.open(descriptor.digest()))) {
      byte[] buffer = new byte[65536];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sha.update(buffer, 0, n);
      }
    }
    return Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
  }

  /** A Dockerfile-like config: one history entry per given instruction. */
  public static String config(String... history) {
    StringBuilder json =
        new StringBuilder(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},"
                + "\"history\":[");
    for (int i = 0; i < history.length; i++) {
      String h = history[i];
      boolean empty = h.startsWith("ENV") || h.startsWith("CMD");
      json.append(i > 0 ? "," : "")
          .append("{\"created_by\":\"")
          .append(h)
          .append("\"")
          .append(empty ? ",\"empty_layer\":true" : "")
          .append("}");
    }
    return json.append("]}").toString();
  }
}
