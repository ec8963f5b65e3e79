package dev.kiln.exporter.oci;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.registry.ImageReference;
import dev.kiln.exporter.image.BuiltImage;
import dev.kiln.exporter.image.LayoutSink;
import dev.kiln.exporter.image.OciLayout;
import java.io.IOException;
import java.util.List;

/** Writes an image as an OCI image layout, into a tar archive or a directory alike. */
public final class OciArchiveWriter {
  private OciArchiveWriter() {}

  public static void write(
      BuiltImage image, List<ImageReference> names, ContentStore content, LayoutSink sink)
      throws IOException {
    sink.file("oci-layout", OciLayout.layoutFile());
    sink.file("index.json", OciLayout.index(image, names));
    OciLayout.writeBlobs(image, content, sink);
  }
}
