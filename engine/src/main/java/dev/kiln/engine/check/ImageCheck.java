package dev.kiln.engine.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImageStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks the local image store ({@code ROOT/images/index.json}): every name's manifest is in the
 * content store and sound, and so is every blob it names (an index's manifests, a manifest's config
 * and layers). The image store has no way to forget a name, so these need a person: the image is
 * built or tagged again.
 */
final class ImageCheck {
  /** Manifests and indexes are small; a larger blob is not read as one. */
  private static final long MAX_MANIFEST_BYTES = 4 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ImageStore images;
  private final ContentStore content;
  private final Set<Digest> bad;
  private final Path index;

  /** How many names were checked, and what is wrong. */
  record Result(int checked, List<Finding> findings) {}

  /** {@code bad}: blobs the blob check found corrupt or unreadable. */
  ImageCheck(ImageStore images, ContentStore content, Set<Digest> bad, Path index) {
    this.images = images;
    this.content = content;
    this.bad = bad;
    this.index = index;
  }

  Result run() throws IOException {
    Map<String, Descriptor> names;
    try {
      names = images.list();
    } catch (IOException e) {
      return new Result(
          0,
          List.of(
              Finding.manual(Problem.Kind.DAMAGED_IMAGE_INDEX, index.toString(), e.getMessage())));
    }
    List<Finding> findings = new ArrayList<>();
    for (Map.Entry<String, Descriptor> name : names.entrySet()) {
      walk(name.getKey(), "manifest", name.getValue().digest(), Optional.empty(), findings);
    }
    return new Result(names.size(), findings);
  }

  /** Checks blob {@code digest}, a {@code role} of image {@code name}, and what it names. */
  private void walk(
      String name, String role, Digest digest, Optional<Digest> parent, List<Finding> findings)
      throws IOException {
    String what = role + " " + digest + parent.map(p -> " (named by " + p + ")").orElse("");
    Optional<String> wrong =
        !content.has(digest)
            ? Optional.of("missing")
            : bad.contains(digest) ? Optional.of("damaged (see its blob)") : Optional.empty();
    if (wrong.isPresent()) {
      findings.add(broken(name, what + " is " + wrong.get()));
      return;
    }
    if (!role.equals("manifest")) {
      return;
    }
    Optional<JsonNode> json = manifest(digest);
    if (json.isEmpty()) {
      findings.add(broken(name, what + " is not an image manifest or index"));
      return;
    }
    try {
      for (JsonNode child : json.get().path("manifests")) {
        walk(
            name,
            "manifest",
            Descriptor.from(child, role + " " + digest).digest(),
            Optional.of(digest),
            findings);
      }
      if (json.get().path("config").isObject()) {
        walk(
            name,
            "config",
            Descriptor.from(json.get().path("config"), what).digest(),
            Optional.of(digest),
            findings);
      }
      for (JsonNode layer : json.get().path("layers")) {
        walk(name, "layer", Descriptor.from(layer, what).digest(), Optional.of(digest), findings);
      }
    } catch (IOException e) {
      // A descriptor without a digest: the manifest itself is unusable.
      findings.add(broken(name, e.getMessage()));
    }
  }

  private static Finding broken(String name, String problem) {
    return Finding.manual(
        Problem.Kind.BROKEN_IMAGE, "image " + name, problem + "; build or tag " + name + " again");
  }

  /** The blob as JSON when it is small and an index or a manifest. */
  private Optional<JsonNode> manifest(Digest digest) throws IOException {
    Path path = content.path(digest).orElseThrow();
    if (Files.size(path) > MAX_MANIFEST_BYTES) {
      return Optional.empty();
    }
    try (InputStream in = content.open(digest)) {
      JsonNode json = JSON.readTree(in);
      boolean usable =
          json != null
              && json.isObject()
              && (json.path("config").isObject() || json.path("manifests").isArray());
      return usable ? Optional.of(json) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // not JSON
    }
  }
}
