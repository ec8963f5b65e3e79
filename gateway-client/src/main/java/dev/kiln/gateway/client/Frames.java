package dev.kiln.gateway.client;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * The gateway's framing (docs/gateway.md): a 4-byte big-endian length, then that many bytes of
 * UTF-8 JSON. A frame is at most {@link #MAX_BYTES}; a larger length is refused before anything is
 * read past it, so a hostile peer cannot make the reader allocate it.
 */
public final class Frames {
  /** The largest frame either side sends or accepts: 16 MiB. */
  public static final int MAX_BYTES = 16 * 1024 * 1024;

  private Frames() {}

  /** Writes {@code body} as one frame and flushes it; throws if it is over the limit. */
  public static void write(OutputStream out, byte[] body) throws IOException {
    if (body.length == 0 || body.length > MAX_BYTES) {
      throw new IOException(
          "a gateway frame holds 1 byte to " + MAX_BYTES + " bytes, not " + body.length);
    }
    byte[] head = {
      (byte) (body.length >>> 24),
      (byte) (body.length >>> 16),
      (byte) (body.length >>> 8),
      (byte) body.length
    };
    out.write(head);
    out.write(body);
    out.flush();
  }

  /**
   * The next frame's body; empty when the stream ends cleanly before a frame. Throws, saying what
   * is wrong, when a frame is cut short or its length is out of bounds.
   */
  public static Optional<byte[]> read(InputStream in) throws IOException {
    int first = in.read();
    if (first < 0) {
      return Optional.empty();
    }
    DataInputStream data = new DataInputStream(in);
    long length;
    try {
      length =
          ((long) first << 24) | ((long) data.readUnsignedByte() << 16) | data.readUnsignedShort();
    } catch (EOFException e) {
      throw new IOException("a gateway frame was cut short in its length", e);
    }
    if (length == 0 || length > MAX_BYTES) {
      throw new IOException(
          "a gateway frame of " + length + " bytes: frames hold 1 byte to " + MAX_BYTES + " bytes");
    }
    byte[] body = new byte[(int) length];
    try {
      data.readFully(body);
    } catch (EOFException e) {
      throw new IOException("a gateway frame of " + length + " bytes was cut short", e);
    }
    return Optional.of(body);
  }
}
