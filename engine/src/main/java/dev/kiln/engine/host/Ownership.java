package dev.kiln.engine.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Sets the owner of what Kiln writes into snapshots and mounts. An id that does not exist in Kiln's
 * user namespace (rootless without subordinate ids, or an id past the subordinate range) cannot own
 * a file: such a file stays root's, as rootless Podman's {@code ignore_chown_errors} does, rather
 * than failing the build; {@code kiln} warns about it when it starts.
 */
public final class Ownership {
  private Ownership() {}

  /** lchown: the owner of {@code path} itself, also of a symlink. */
  public static void lchown(Path path, int uid, int gid) throws IOException {
    UserNamespace namespace = UserNamespace.current();
    Files.setAttribute(
        path, "unix:uid", namespace.hasUid(uid) ? uid : 0, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(
        path, "unix:gid", namespace.hasGid(gid) ? gid : 0, LinkOption.NOFOLLOW_LINKS);
  }
}
