package dev.kiln.engine.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Picks the manifest for the platform this process runs on from an image index. */
public final class ImagePlatform {
  private ImagePlatform() {}

  /** {@code linux/<arch>} in OCI's naming of the JVM's architecture. */
  public static String current() {
    String arch = System.getProperty("os.arch");
    if (arch.equals("x86_64") || arch.equals("amd64")) {
      arch = "amd64";
    } else if (arch.equals("aarch64")) {
      arch = "arm64";
    }
    return "linux/" + arch;
  }

  /**
   * The entry of {@code index} (an OCI image index or Docker manifest list) for this platform.
   * Throws, naming the platforms offered, when there is none.
   */
  public static Descriptor choose(JsonNode index) throws IOException {
    return choose(index, current());
  }

  /** The entry of {@code index} for {@code wanted} ({@code os/arch}). */
  public static Descriptor choose(JsonNode index, String wanted) throws IOException {
    List<String> offered = new ArrayList<>();
    for (JsonNode node : index.path("manifests")) {
      Descriptor descriptor = Descriptor.from(node, "image index");
      String platform = descriptor.platform().orElse("unknown");
      // The variant (v8 of arm64) is ignored: one manifest per os/arch is what images ship.
      if (platform.equals(wanted) || platform.startsWith(wanted + "/")) {
        return descriptor;
      }
      offered.add(platform);
    }
    throw new IOException(
        "the image index has no manifest for "
            + wanted
            + " (platforms: "
            + (offered.isEmpty() ? "none" : String.join(", ", offered))
            + ")");
  }
}
