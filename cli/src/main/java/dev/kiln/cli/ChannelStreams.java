package dev.kiln.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Streams over a socket channel that one thread may read while another writes. The JDK's {@code
 * Channels.newInputStream} and {@code newOutputStream} share the channel's blocking lock, so a read
 * that waits would stall every write: an ssh agent's request and answer would deadlock.
 */
public final class ChannelStreams {
  private ChannelStreams() {}

  /** Reads {@code channel}; -1 at its end. */
  public static InputStream in(SocketChannel channel) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) {
          return 0;
        }
        return channel.read(ByteBuffer.wrap(bytes, offset, length));
      }

      @Override
      public void close() throws IOException {
        channel.shutdownInput();
      }
    };
  }

  /** Writes {@code channel}; closing it shuts down only the output, a half close. */
  public static OutputStream out(SocketChannel channel) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }

      @Override
      public void close() throws IOException {
        if (channel.isOpen()) {
          channel.shutdownOutput();
        }
      }
    };
  }

  /** Closes {@code channel}, which may be closed already or gone. */
  public static void closeQuietly(java.nio.channels.Channel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // closing: nothing more to do
    }
  }

  /**
   * Copies {@code in} to {@code out} as bytes arrive, flushing each read (a request of a few bytes
   * must not wait in a buffer for more); returns at the end of {@code in}.
   */
  public static void pump(InputStream in, OutputStream out) throws IOException {
    byte[] buffer = new byte[16 * 1024];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      out.write(buffer, 0, n);
      out.flush();
    }
  }
}
