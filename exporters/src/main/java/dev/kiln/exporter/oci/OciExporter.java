package dev.kiln.exporter.oci;

import dev.kiln.engine.registry.ImageReference;
import dev.kiln.exporter.ArchiveOutput;
import dev.kiln.exporter.Destination;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.Exporter;
import dev.kiln.exporter.image.BuiltImage;
import dev.kiln.exporter.image.DirectoryLayoutSink;
import dev.kiln.exporter.image.ImageBuilder;
import dev.kiln.exporter.image.ImageOptions;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * {@code --output type=oci}: the image as an OCI image layout, in a tar archive (default) or, with
 * {@code tar=false}, a directory.
 */
public final class OciExporter implements Exporter {
  private final Destination dest;
  private final List<ImageReference> names;
  private final ImageOptions options;

  public OciExporter(Destination dest, List<ImageReference> names, ImageOptions options) {
    this.dest = dest;
    this.names = List.copyOf(names);
    this.options = options;
  }

  @Override
  public void resolve() {
    if (dest instanceof Destination.File file) {
      ArchiveOutput.checkFile(file.path(), "--output dest");
    } else if (dest instanceof Destination.Directory dir) {
      ArchiveOutput.checkDirectory(dir.path(), "--output dest");
    }
  }

  @Override
  public Exported export(ExportInput input) throws IOException {
    BuiltImage image =
        new ImageBuilder(input.content(), input.snapshotter())
            .build(input.result(), input.imageConfig(), options);
    if (dest instanceof Destination.Directory layout) {
      ArchiveOutput.writeDirectory(
          layout.path(),
          dir ->
              OciArchiveWriter.write(image, names, input.content(), new DirectoryLayoutSink(dir)));
    } else {
      ArchiveOutput.writeTar(
          dest, tar -> OciArchiveWriter.write(image, names, input.content(), tar));
    }
    return new Exported(Optional.of(image.manifest()));
  }

  @Override
  public String describe() {
    return (dest instanceof Destination.Directory ? "OCI layout " : "OCI archive ")
        + dest.describe();
  }
}
