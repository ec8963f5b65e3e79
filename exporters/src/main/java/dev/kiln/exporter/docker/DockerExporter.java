package dev.kiln.exporter.docker;

import dev.kiln.engine.registry.ImageReference;
import dev.kiln.exporter.ArchiveOutput;
import dev.kiln.exporter.Destination;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.Exporter;
import dev.kiln.exporter.image.BuiltImage;
import dev.kiln.exporter.image.ImageBuilder;
import dev.kiln.exporter.image.ImageOptions;
import dev.kiln.exporter.image.LayerCompression;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** {@code --output type=docker}: the image as an archive that {@code docker load} accepts. */
public final class DockerExporter implements Exporter {
  private final Destination dest;
  private final List<ImageReference> names;
  private final ImageOptions options;

  public DockerExporter(Destination dest, List<ImageReference> names, ImageOptions options) {
    if (dest instanceof Destination.Directory) {
      throw new IllegalArgumentException("type=docker writes an archive: give dest=FILE or dest=-");
    }
    if (options.compression() == LayerCompression.ZSTD) {
      // docker load reads zstd layers only from Docker 23 on; gzip works with every version.
      throw new IllegalArgumentException(
          "type=docker: compression=zstd layers are not loadable by every docker; use gzip or"
              + " uncompressed");
    }
    this.dest = dest;
    this.names = List.copyOf(names);
    this.options = options;
  }

  @Override
  public void resolve() {
    if (dest instanceof Destination.File file) {
      ArchiveOutput.checkFile(file.path(), "--output dest");
    }
  }

  @Override
  public Exported export(ExportInput input) throws IOException {
    BuiltImage image =
        new ImageBuilder(input.content(), input.snapshotter())
            .build(input.result(), input.imageConfig(), options);
    ArchiveOutput.writeTar(
        dest, tar -> DockerArchiveWriter.write(image, names, input.content(), tar));
    return new Exported(Optional.of(image.manifest()));
  }

  @Override
  public String describe() {
    return "Docker archive " + dest.describe();
  }
}
