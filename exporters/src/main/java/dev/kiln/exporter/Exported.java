package dev.kiln.exporter;

import dev.kiln.engine.image.Descriptor;
import java.util.Optional;

/** What an export produced: for image exporters, the image's manifest. */
public record Exported(Optional<Descriptor> manifest) {
  public static final Exported FILES = new Exported(Optional.empty());
}
