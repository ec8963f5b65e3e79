package dev.kiln.exporter.local;

import dev.kiln.engine.fileop.TreeCopier;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.Exporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Writes the result's files into a host directory (created if missing; files with the same names
 * are replaced), keeping modes, times, owners and links; links are never followed, so a link in the
 * result cannot make the export write outside the directory.
 */
public final class LocalExporter implements Exporter {
  private final Path dest;

  public LocalExporter(Path dest) {
    this.dest = dest.toAbsolutePath().normalize();
  }

  @Override
  public Exported export(ExportInput input) throws IOException {
    Files.createDirectories(dest);
    try (MountedFs view = input.snapshotter().mount(input.result(), Optional.empty())) {
      TreeCopier.copyContents(view.path(), dest, dest, TreeCopier.Options.EXPORT);
    }
    return Exported.FILES;
  }

  @Override
  public String describe() {
    return "directory " + dest;
  }
}
