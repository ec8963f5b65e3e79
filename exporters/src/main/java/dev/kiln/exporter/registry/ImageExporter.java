package dev.kiln.exporter.registry;

import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.registry.ImageReference;
import dev.kiln.engine.registry.RegistryImageSource;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.Exporter;
import dev.kiln.exporter.image.BuiltImage;
import dev.kiln.exporter.image.ImageBuilder;
import dev.kiln.exporter.image.ImageOptions;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code -t NAME}, {@code --output type=image,name=NAME[,push=true]} and {@code type=registry}: the
 * image goes into Kiln's local image store under each name (so that {@code FROM NAME} finds it
 * without a registry) and, when pushing, to each name's registry.
 */
public final class ImageExporter implements Exporter {
  private final List<ImageReference> names;
  private final boolean push;
  private final ImageOptions options;
  private final ImageStore store;
  private final RegistryImageSource.ClientFactory registry;

  public ImageExporter(
      List<ImageReference> names,
      boolean push,
      ImageOptions options,
      ImageStore store,
      RegistryImageSource.ClientFactory registry) {
    this.names = List.copyOf(names);
    this.push = push;
    this.options = options;
    this.store = store;
    this.registry = registry;
  }

  @Override
  public void resolve() {
    if (names.isEmpty()) {
      throw new IllegalArgumentException(
          "an image needs a name: -t NAME or --output type=image,name=NAME");
    }
  }

  @Override
  public Exported export(ExportInput input) throws IOException {
    BuiltImage image =
        new ImageBuilder(input.content(), input.snapshotter())
            .build(input.result(), input.imageConfig(), options);
    for (ImageReference name : names) {
      store.tag(name.toString(), image.manifest());
    }
    if (push) {
      ImagePusher pusher = new ImagePusher(registry.create(), input.content());
      for (ImageReference name : names) {
        pusher.push(image, name);
      }
    }
    return new Exported(Optional.of(image.manifest()));
  }

  @Override
  public String describe() {
    String shown = names.stream().map(ImageReference::familiar).collect(Collectors.joining(", "));
    return (push ? "the image store and the registry as " : "the image store as ") + shown;
  }
}
