package dev.kiln.engine.layer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;

/** Writes overlayfs markers: whiteouts (0:0 character devices) and opaque-directory xattrs. */
public final class OverlayFormat {
  /** The user xattr name, without the {@code user.} namespace the view adds. */
  public static final String OPAQUE_XATTR = "overlay.opaque";

  // Far below the kernel's 128 KiB limit per argument list, so one batch never fails for size.
  private static final int BATCH_CHARS = 64 * 1024;
  private static final String MKNOD_LOOP = "for p; do mknod \"$p\" c 0 0 || exit 1; done";

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

  /**
   * Creates whiteouts at {@code paths}, which must not exist yet. Java cannot call mknod, so this
   * runs one shell per batch rather than one process per file.
   */
  public static void createWhiteouts(List<Path> paths) throws IOException {
    List<String> batch = new ArrayList<>();
    int chars = 0;
    for (Path path : paths) {
      String arg = path.toString();
      if (!batch.isEmpty() && chars + arg.length() > BATCH_CHARS) {
        runMknod(batch);
        batch.clear();
        chars = 0;
      }
      batch.add(arg);
      chars += arg.length() + 1;
    }
    if (!batch.isEmpty()) {
      runMknod(batch);
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

  private static void runMknod(List<String> batch) throws IOException {
    List<String> command = new ArrayList<>(List.of("sh", "-c", MKNOD_LOOP, "sh"));
    command.addAll(batch);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int status;
    try {
      status = process.waitFor();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while creating whiteouts", e);
    }
    if (status != 0) {
      throw new IOException("cannot create whiteouts with mknod: " + output.strip());
    }
  }
}
