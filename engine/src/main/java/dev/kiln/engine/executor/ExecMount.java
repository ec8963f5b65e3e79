package dev.kiln.engine.executor;

import dev.kiln.engine.graph.CacheSharing;
import dev.kiln.engine.snapshot.Snapshot;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An extra mount of a step, resolved by the worker: snapshots in place of input indices, secret
 * contents in place of ids. {@code dest} is absolute inside the root filesystem.
 */
public sealed interface ExecMount {
  String dest();

  /** Whether the mount point is a file (else a directory). */
  default boolean fileTarget() {
    return false;
  }

  /** {@code selector} (absolute, "" for all) of {@code source}; writes are dropped if writable. */
  record Bind(String dest, Snapshot source, String selector, boolean readonly)
      implements ExecMount {}

  /**
   * The persistent cache directory {@code id}, created with {@code mode}, owned by uid:gid; with a
   * {@code base}, a new directory starts as a copy of {@code baseSelector} in it, and each base has
   * its own directories (as BuildKit keys them by id and base).
   */
  record Cache(
      String dest,
      String id,
      CacheSharing sharing,
      int mode,
      long uid,
      long gid,
      Optional<Snapshot> base,
      String baseSelector)
      implements ExecMount {
    /** A cache directory that starts empty. */
    public Cache(String dest, String id, CacheSharing sharing, int mode, long uid, long gid) {
      this(dest, id, sharing, mode, uid, gid, Optional.empty(), "");
    }
  }

  /** An empty tmpfs, at most {@code size} bytes. */
  record Tmpfs(String dest, Optional<Long> size) implements ExecMount {}

  /** A read-only file holding a secret. Its {@code toString} never shows the content. */
  record SecretFile(String dest, byte[] data, int mode, long uid, long gid) implements ExecMount {
    @Override
    public boolean fileTarget() {
      return true;
    }

    @Override
    public String toString() {
      return "SecretFile[dest=" + dest + "]";
    }
  }

  /** A host unix socket (an ssh agent's) at {@code dest}. */
  record Socket(String dest, Path socket) implements ExecMount {
    @Override
    public boolean fileTarget() {
      return true;
    }
  }
}
