package dev.kiln.engine.fileop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * How a copy writes a regular file's bytes to a destination that does not exist yet (and must be
 * created, never followed): by default the kernel copies them; a copy that also needs the bytes'
 * digest reads them once and does both.
 */
@FunctionalInterface
public interface ByteCopy {
  /** The kernel's copy ({@code copy_file_range}), the bytes never passing through the JVM. */
  ByteCopy KERNEL = (src, dest) -> Files.copy(src, dest, LinkOption.NOFOLLOW_LINKS);

  void copy(Path src, Path dest) throws IOException;
}
