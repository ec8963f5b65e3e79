package dev.kiln.exporter.image;

import dev.kiln.engine.graph.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Passes bytes on while hashing and counting them: a layer's diff ID and size as it streams. */
final class DigestingOutputStream extends FilterOutputStream {
  private final MessageDigest sha = Digest.newSha256();
  private long count;

  DigestingOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    sha.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    sha.update(b, off, len);
    count += len;
  }

  /** The digest of everything written; call once, after the last write. */
  Digest digest() {
    return Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
  }

  long count() {
    return count;
  }
}
