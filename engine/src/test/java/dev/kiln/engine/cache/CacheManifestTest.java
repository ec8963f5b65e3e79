package dev.kiln.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CacheManifestTest {
  private static String error(String json) {
    return assertThrows(
            IOException.class,
            () -> CacheManifest.parse(json.getBytes(StandardCharsets.UTF_8), "cache X"))
        .getMessage();
  }

  @Test
  void recordsSurviveTheRoundTrip() throws IOException {
    Descriptor blob =
        new Descriptor(
            MediaTypes.OCI_LAYER_GZIP, Digest.sha256("layer"), 42, Map.of(), Optional.empty());
    CacheManifest manifest =
        new CacheManifest(
            List.of(
                new CacheManifest.Exported(
                    Digest.sha256("key"),
                    "exec",
                    "[build 3/3] RUN make",
                    new KeyParts("sha256:op", List.of("sha256:in#0"), "{\"type\":\"exec\"}"),
                    List.of(List.of(new CacheManifest.LayerRef(blob, Digest.sha256("tar")))))));
    assertEquals(manifest, CacheManifest.parse(manifest.toJson(), "cache X"));
  }

  @Test
  void malformedAndForeignConfigsAreRefusedWithWhereAndWhat() {
    assertTrue(error("{not json").startsWith("cache X: not JSON"));
    assertTrue(
        error("{\"mediaType\":\"application/vnd.oci.image.config.v1+json\"}")
            .contains("not a Kiln cache"));
    String bad =
        "{\"mediaType\":\"" + CacheManifest.MEDIA_TYPE + "\",\"records\":[{\"key\":\"md5:x\"}]}";
    assertTrue(error(bad).startsWith("cache X: records[0]"), error(bad));
    String hostile =
        "{\"mediaType\":\""
            + CacheManifest.MEDIA_TYPE
            + "\",\"records\":[{\"key\":\""
            + Digest.sha256("k")
            + "\",\"outputs\":[[{\"mediaType\":\"x\",\"digest\":\"sha256:../../etc/passwd\","
            + "\"size\":1,\"diffId\":\""
            + Digest.sha256("d")
            + "\"}]]}]}";
    assertTrue(error(hostile).startsWith("cache X: records[0]"), error(hostile));
  }

  @Test
  void aCacheMountNamedLikeAPathIsRefused() {
    String hostile =
        "{\"mediaType\":\""
            + CacheManifest.MEDIA_TYPE
            + "\",\"records\":[],\"cacheMounts\":[{\"name\":\"../../etc\","
            + "\"mediaType\":\"x\",\"digest\":\""
            + Digest.sha256("m")
            + "\",\"size\":1}]}";
    assertTrue(error(hostile).startsWith("cache X: cacheMounts[0]"), error(hostile));
    assertTrue(error(hostile).contains("not 64 hex digits"), error(hostile));
  }
}
