package dev.kiln.engine.layer;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Layer compressions, told apart by their magic bytes rather than by (often wrong) media types. */
public enum Compression {
  NONE,
  GZIP,
  ZSTD;

  private static final int BUFFER = 64 * 1024;

  /** Peeks at the first bytes of {@code in}, which must support mark/reset. */
  public static Compression detect(InputStream in) throws IOException {
    if (!in.markSupported()) {
      throw new IllegalArgumentException("detect needs a stream that supports mark/reset");
    }
    in.mark(4);
    byte[] head = in.readNBytes(4);
    in.reset();
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (head.length == 4
        && (head[0] & 0xff) == 0x28
        && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f
        && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  /** Returns a stream of the uncompressed bytes of {@code in}, whatever its compression. */
  public static InputStream decompress(InputStream in) throws IOException {
    InputStream buffered = new BufferedInputStream(in, BUFFER);
    Compression compression = detect(buffered);
    if (compression == GZIP) {
      return new GZIPInputStream(buffered, BUFFER);
    }
    if (compression == ZSTD) {
      return new ZstdInputStream(buffered);
    }
    return buffered;
  }
}
