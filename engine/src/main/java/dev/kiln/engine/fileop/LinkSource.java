package dev.kiln.engine.fileop;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a copy may hard-link a regular file instead of copying its bytes: an immutable file (in a
 * committed or to-be-committed layer) with the very bytes, owner, mode and mtime the copy would
 * give. Nothing may ever write to such a file again, or every layer linking it would change.
 */
@FunctionalInterface
public interface LinkSource {
  /** Always copies. */
  LinkSource NONE = (src, info, owner, mode) -> Optional.empty();

  /**
   * Links the source itself when the copy keeps its owner and mode: for sources that are read-only
   * layer views (a link from a mounted overlay fails across filesystems and the copy goes on).
   */
  LinkSource SOURCE_IF_UNCHANGED =
      (src, info, owner, mode) ->
          info.uid() == owner.uid() && info.gid() == owner.gid() && info.mode() == mode
              ? Optional.of(src)
              : Optional.empty();

  /** A file to link for {@code src}, which would be copied with {@code owner} and {@code mode}. */
  Optional<Path> linkable(Path src, FileInfo info, Ids owner, int mode);
}
