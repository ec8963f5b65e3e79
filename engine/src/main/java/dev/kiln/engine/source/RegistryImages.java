package dev.kiln.engine.source;

import java.io.IOException;

/** Images in registries, for {@code docker-image://} sources. */
public interface RegistryImages {
  /**
   * The normalised form of {@code reference} ({@code busybox} → docker.io/library/busybox:latest).
   */
  String normalize(String reference) throws IOException;

  /** The blobs of the image a normalised reference names, fetched from its registry. */
  ImageBlobs open(String normalized) throws IOException;
}
