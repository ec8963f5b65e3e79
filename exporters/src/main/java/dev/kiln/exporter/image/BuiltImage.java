package dev.kiln.exporter.image;

import dev.kiln.engine.image.Descriptor;
import java.util.ArrayList;
import java.util.List;

/** An image whose manifest, config and layers are all in the content store. */
public record BuiltImage(Descriptor manifest, Descriptor config, List<ImageLayer> layers) {
  public BuiltImage {
    layers = List.copyOf(layers);
  }

  /** Every blob of the image, each once: manifest, config, then layers lowest first. */
  public List<Descriptor> blobs() {
    List<Descriptor> blobs = new ArrayList<>();
    blobs.add(manifest);
    blobs.add(config);
    for (ImageLayer layer : layers) {
      if (blobs.stream().noneMatch(b -> b.digest().equals(layer.descriptor().digest()))) {
        blobs.add(layer.descriptor());
      }
    }
    return blobs;
  }
}
