package dev.kiln.engine.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.ImagePlatform;
import dev.kiln.engine.snapshot.LayerBlob;
import dev.kiln.engine.snapshot.OverlayFormat;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.testing.Tars;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutSourceTest {
  @TempDir Path temp;
  private Path layout;
  private Digest manifest;
  private Digest baseLayer;
  private OciLayoutSource source;

  Digest baseDiffId;

  @BeforeEach
  void buildLayout() throws IOException {
    layout = Files.createDirectories(temp.resolve("image"));
    Files.createDirectories(layout.resolve("blobs/sha256"));
    byte[] base =
        new Tars()
            .dir("etc/", 0755)
            .file("etc/os-release", "kiln", 0644)
            .file("tmp/junk", "j", 0644)
            .tar();
    byte[] top = new Tars().file("tmp/.wh.junk", "", 0644).file("app", "app", 0755).tar();
    byte[] baseGz = Tars.gzip(base);
    byte[] topGz = Tars.gzip(top);
    baseLayer = blob(baseGz);
    baseDiffId = Digest.sha256(base);
    Digest topLayer = blob(topGz);
    String config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
            + Digest.sha256(base)
            + "\",\""
            + Digest.sha256(top)
            + "\"]}}";
    Digest configDigest = blob(config.getBytes(StandardCharsets.UTF_8));
    String manifestJson =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":"
            + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length())
            + ",\"layers\":["
            + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", baseLayer, baseGz.length)
            + ","
            + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", topLayer, topGz.length)
            + "]}";
    manifest = blob(manifestJson.getBytes(StandardCharsets.UTF_8));
    writeIndex(manifestJson.length(), "latest");
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    source =
        new OciLayoutSource(
            new ImageLoader(
                new ContentStore(temp.resolve("root")), new Snapshotter(temp.resolve("root"))));
  }

  private void writeIndex(long manifestSize, String tag) throws IOException {
    Files.writeString(
        layout.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"digest\":\""
            + manifest
            + "\",\"size\":"
            + manifestSize
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\""
            + tag
            + "\"}}]}");
  }

  private Digest blob(byte[] data) throws IOException {
    Digest digest = Digest.sha256(data);
    Files.write(layout.resolve("blobs/sha256/" + digest.hex()), data);
    return digest;
  }

  private static String descriptor(String mediaType, Digest digest, long size) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":"
        + size
        + "}";
  }

  @Test
  void loadsAnImageByTagAsOneLayerPerImageLayer() throws IOException {
    Snapshot snapshot = source.load("oci-layout://" + layout + ":latest");

    assertEquals(2, snapshot.layers().size());
    Path lower = snapshot.layers().get(0).dir();
    Path upper = snapshot.layers().get(1).dir();
    assertEquals("kiln", Files.readString(lower.resolve("etc/os-release")));
    assertEquals("app", Files.readString(upper.resolve("app")));
    assertTrue(OverlayFormat.isWhiteout(upper.resolve("tmp/junk")));
  }

  @Test
  void eachLayerRemembersTheBlobItCameFromForExportersToReuse() throws IOException {
    Snapshotter snapshotter = new Snapshotter(temp.resolve("root"));
    Snapshot snapshot = source.load("oci-layout://" + layout + ":latest");

    LayerBlob blob = snapshotter.blob(snapshot.layers().get(0)).orElseThrow();
    assertEquals(baseLayer, blob.digest());
    assertEquals("application/vnd.oci.image.layer.v1.tar+gzip", blob.mediaType());
    assertEquals(Files.size(layout.resolve("blobs/sha256/" + baseLayer.hex())), blob.size());
    assertEquals(baseDiffId, blob.diffId());
  }

  @Test
  void theTagDefaultsToLatestAndADigestSelectsTheManifest() throws IOException {
    assertEquals(manifest, source.resolveManifest("oci-layout://" + layout));
    Snapshot byDigest = source.load("oci-layout://" + layout + "@" + manifest);
    assertEquals(2, byDigest.layers().size());
  }

  @Test
  void theSameImageTwiceUnpacksItsLayersOnce() throws IOException {
    Snapshot first = source.load("oci-layout://" + layout);
    Snapshot second = source.load("oci-layout://" + layout + "@" + manifest);

    assertSame(first.layers().get(0), second.layers().get(0));
    assertEquals(first, second);
  }

  @Test
  void anImageIndexResolvesToTheManifestForThisPlatform() throws IOException {
    long manifestSize = Files.size(layout.resolve("blobs/sha256/" + manifest.hex()));
    String platform = ImagePlatform.current();
    String arch = platform.substring(platform.indexOf('/') + 1);
    String index =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
            + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
            + Digest.sha256("other")
            + "\",\"size\":5,\"platform\":{\"os\":\"windows\",\"architecture\":\""
            + arch
            + "\"}},"
            + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
            + manifest
            + "\",\"size\":"
            + manifestSize
            + ",\"platform\":{\"os\":\"linux\",\"architecture\":\""
            + arch
            + "\"}}]}";
    Digest indexDigest = blob(index.getBytes(StandardCharsets.UTF_8));
    Files.writeString(
        layout.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
            + "\"digest\":\""
            + indexDigest
            + "\",\"size\":"
            + index.length()
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"multi\"}}]}");

    assertEquals(indexDigest, source.resolveManifest("oci-layout://" + layout + ":multi"));
    assertEquals(2, source.load("oci-layout://" + layout + ":multi").layers().size());
  }

  @Test
  void anUnknownTagNamesTheTagsThatExist() {
    IOException e =
        assertThrows(IOException.class, () -> source.load("oci-layout://" + layout + ":v2"));
    assertEquals(
        "oci-layout " + layout + ": no image tagged \"v2\" (tags: latest)", e.getMessage());
  }

  @Test
  void aMissingBlobIsNamed() throws IOException {
    Files.delete(layout.resolve("blobs/sha256/" + baseLayer.hex()));

    IOException e = assertThrows(IOException.class, () -> source.load("oci-layout://" + layout));
    assertTrue(e.getMessage().contains("blob " + baseLayer + " is missing"), e.getMessage());
  }

  @Test
  void aManifestWhoseConfigDescriptorIsBrokenNamesTheImage() throws IOException {
    String manifestJson =
        "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:zz\",\"size\":1},\"layers\":[]}";
    manifest = blob(manifestJson.getBytes(StandardCharsets.UTF_8));
    writeIndex(manifestJson.length(), "latest");

    IOException e =
        assertThrows(IOException.class, () -> source.imageConfig("oci-layout://" + layout));
    assertTrue(
        e.getMessage().startsWith("oci-layout " + layout + ": manifest config: "), e.getMessage());
  }

  @Test
  void aBlobWhoseContentDoesNotMatchItsDigestIsRejected() throws IOException {
    Path blob = layout.resolve("blobs/sha256/" + baseLayer.hex());
    byte[] data = Files.readAllBytes(blob);
    data[data.length - 5] ^= 0x55;
    Files.write(blob, data);

    IOException e = assertThrows(IOException.class, () -> source.load("oci-layout://" + layout));
    assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains(layout.toString()), e.getMessage());
  }

  @Test
  void aWrongLayoutVersionIsRejected() throws IOException {
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"9\"}");

    IOException e =
        assertThrows(IOException.class, () -> source.resolveManifest("oci-layout://" + layout));
    assertTrue(e.getMessage().contains("imageLayoutVersion"), e.getMessage());
  }

  @Test
  void identifiersSplitTheTagOnlyAfterTheLastColonWithoutSlash() {
    OciReference plain = OciReference.parse("oci-layout:///a:b/c");
    assertEquals(Path.of("/a:b/c"), plain.dir());
    assertEquals(Optional.of("latest"), plain.tag());
    OciReference tagged = OciReference.parse("oci-layout:///a:b/c:v1");
    assertEquals(Path.of("/a:b/c"), tagged.dir());
    assertEquals(Optional.of("v1"), tagged.tag());
    OciReference pinned = OciReference.parse("oci-layout:///x@" + Digest.sha256("m"));
    assertEquals(Optional.of(Digest.sha256("m")), pinned.digest());
    assertFalse(pinned.tag().isPresent());
  }
}
