package dev.kiln.cli;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP/1.1 a daemon client speaks, on any stream connection (TCP or a Unix socket): a request
 * with its body sent chunked, and an answer's head and body (chunked, sized, or up to the close).
 * Written out rather than taken from a library: the JDK's clients cannot use a Unix socket, and
 * Apache HttpClient 5.6 adds 0.6 s or more to every client start (measured; docs/api.md).
 */
final class Http1 {
  private static final int MAX_LINE = 16 * 1024;
  private static final int MAX_HEADERS = 200;

  /** The length of a body sent chunked. */
  static final long CHUNKED = -1;

  private Http1() {}

  /** An answer's status and body. */
  record Head(int status, InputStream body) {}

  /**
   * Writes the request line and headers for a body of {@code length} bytes, or of a length not
   * known beforehand ({@link #CHUNKED}), which is then sent chunked.
   */
  static void writeHead(
      OutputStream out, String method, String target, Map<String, String> headers, long length)
      throws IOException {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: localhost\r\nConnection: close\r\n");
    headers.forEach(
        (name, value) -> {
          if (name.contains("\r")
              || name.contains("\n")
              || value.contains("\r")
              || value.contains("\n")) {
            throw new IllegalArgumentException("a header holds a line break: " + name);
          }
          head.append(name).append(": ").append(value).append("\r\n");
        });
    head.append(
        length == CHUNKED
            ? "Transfer-Encoding: chunked\r\n\r\n"
            : "Content-Length: " + length + "\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** The request body's stream: what is written goes as chunks; closing sends the last chunk. */
  static OutputStream chunked(OutputStream out) {
    return new FilterOutputStream(new java.io.BufferedOutputStream(out, 1 << 16)) {
      private final byte[] buffer = new byte[1 << 16];
      private int filled;

      @Override
      public void write(int b) throws IOException {
        if (filled == buffer.length) {
          chunk();
        }
        buffer[filled++] = (byte) b;
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
          if (filled == buffer.length) {
            chunk();
          }
          int n = Math.min(length, buffer.length - filled);
          System.arraycopy(bytes, offset, buffer, filled, n);
          filled += n;
          offset += n;
          length -= n;
        }
      }

      private void chunk() throws IOException {
        if (filled > 0) {
          out.write((Integer.toHexString(filled) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.write(buffer, 0, filled);
          out.write('\r');
          out.write('\n');
          filled = 0;
        }
      }

      @Override
      public void flush() throws IOException {
        chunk();
        out.flush();
      }

      @Override
      public void close() throws IOException {
        chunk();
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
    };
  }

  /** Reads an answer's head (skipping 1xx answers); its status and its body's stream. */
  static Head readHead(InputStream in) throws IOException {
    int status;
    long length = -1;
    boolean chunked = false;
    do {
      String line = line(in);
      String[] parts = line.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
        throw new IOException("not an HTTP answer: " + printable(line));
      }
      status = Integer.parseInt(parts[1]);
      int count = 0;
      for (String header = line(in); !header.isEmpty(); header = line(in)) {
        if (++count > MAX_HEADERS) {
          throw new IOException("the answer has more than " + MAX_HEADERS + " headers");
        }
        int colon = header.indexOf(':');
        if (colon <= 0) {
          throw new IOException("a malformed header in the answer: " + printable(header));
        }
        String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = header.substring(colon + 1).trim();
        if (name.equals("transfer-encoding")) {
          chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        } else if (name.equals("content-length")) {
          if (!value.matches("\\d{1,18}")) {
            throw new IOException("a malformed Content-Length: " + printable(value));
          }
          length = Long.parseLong(value);
        }
      }
    } while (status / 100 == 1);
    InputStream body =
        chunked ? new ChunkedInput(in) : length >= 0 ? new SizedInput(in, length) : in;
    return new Head(status, body);
  }

  /** One line of the head, without its line end; at most {@code MAX_LINE} bytes. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the daemon closed the connection in the middle of an answer");
      }
      if (line.size() >= MAX_LINE) {
        throw new IOException("a line of the answer is longer than " + MAX_LINE + " bytes");
      }
      if (c != '\r') {
        line.write(c);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  private static String printable(String text) {
    String shown = text.length() > 80 ? text.substring(0, 80) + "…" : text;
    return "\"" + shown.replaceAll("\\p{Cntrl}", "?") + "\"";
  }

  /** A stream that reads in blocks; one byte is a block of one. */
  abstract static class BlockInput extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }
  }

  /** A body of a known size. */
  private static final class SizedInput extends BlockInput {
    private final InputStream in;
    private long left;

    SizedInput(InputStream in, long left) {
      this.in = in;
      this.left = left;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
      if (left == 0) {
        return -1;
      }
      int n = in.read(bytes, offset, (int) Math.min(length, left));
      if (n < 0) {
        throw new EOFException("the daemon's answer ended early");
      }
      left -= n;
      return n;
    }
  }

  /** A chunked body. */
  private static final class ChunkedInput extends BlockInput {
    private final InputStream in;
    private long left;
    private boolean done;

    ChunkedInput(InputStream in) {
      this.in = in;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
      if (done) {
        return -1;
      }
      if (left == 0) {
        String size = line(in);
        int extensions = size.indexOf(';');
        String hex = (extensions < 0 ? size : size.substring(0, extensions)).trim();
        if (!hex.matches("[0-9a-fA-F]{1,15}")) {
          throw new IOException("a malformed chunk size in the answer: " + printable(size));
        }
        left = Long.parseLong(hex, 16);
        if (left == 0) {
          while (!line(in).isEmpty()) {
            // trailers: none the client needs
          }
          done = true;
          return -1;
        }
      }
      int n = in.read(bytes, offset, (int) Math.min(length, left));
      if (n < 0) {
        throw new EOFException("the daemon's answer ended in the middle of a chunk");
      }
      left -= n;
      if (left == 0 && !line(in).isEmpty()) {
        throw new IOException("a chunk of the answer is longer than its size");
      }
      return n;
    }
  }
}
