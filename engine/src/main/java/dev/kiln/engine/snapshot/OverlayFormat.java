package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;

/** Writes overlayfs markers: whiteouts (0:0 character devices) and opaque-directory xattrs. */
public final class OverlayFormat {
  /** The user xattr name, without the {@code user.} namespace the view adds. */
  public static final String OPAQUE_XATTR = "overlay.opaque";

  private OverlayFormat() {}

  /** Marks {@code dir} opaque: lower layers' contents of it are hidden. */
  public static void markOpaque(Path dir) throws IOException {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(
            dir, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    view.write(OPAQUE_XATTR, ByteBuffer.wrap("y".getBytes(StandardCharsets.US_ASCII)));
  }

  /** True when {@code dir} carries the opaque marker. */
  public static boolean isOpaque(Path dir) throws IOException {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(
            dir, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (!view.list().contains(OPAQUE_XATTR)) {
      return false;
    }
    ByteBuffer value = ByteBuffer.allocate(view.size(OPAQUE_XATTR));
    view.read(OPAQUE_XATTR, value);
    return new String(value.array(), StandardCharsets.US_ASCII).equals("y");
  }

  /** Creates whiteouts at {@code paths}, which must not exist yet. */
  public static void createWhiteouts(List<Path> paths) throws IOException {
    for (Path path : paths) {
      Libc.mknodWhiteout(path);
    }
  }

  /** True when {@code path} is a whiteout: a character device with device number 0. */
  public static boolean isWhiteout(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    long rdev = (Long) Files.getAttribute(path, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
    return (mode & 0170000) == 0020000 && rdev == 0;
  }
}
