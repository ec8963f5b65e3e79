package dev.kiln.exporter.tar;

import dev.kiln.engine.layer.LayerDiffWriter;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.Exporter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Writes the result's files as one tar archive, in name order with the files' own metadata, to a
 * temporary file renamed into place, so a failed export never leaves half an archive.
 */
public final class TarExporter implements Exporter {
  private final Path dest;

  public TarExporter(Path dest) {
    this.dest = dest.toAbsolutePath().normalize();
  }

  @Override
  public Exported export(ExportInput input) throws IOException {
    Files.createDirectories(dest.getParent());
    Path temp = Files.createTempFile(dest.getParent(), ".kiln-", ".tar.tmp");
    try (MountedFs view = input.snapshotter().mount(input.result(), Optional.empty());
        OutputStream out = Files.newOutputStream(temp)) {
      // A merged view has no whiteouts left, so the layer writer yields a plain archive.
      LayerDiffWriter.write(view.path(), out);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    Files.move(temp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return Exported.FILES;
  }

  @Override
  public String describe() {
    return "tarball " + dest;
  }
}
