package dev.kiln.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A daemon's address: {@code unix:///PATH} (a Unix socket) or {@code tcp://HOST:PORT} on a loopback
 * address (no TLS yet); and a connection to it.
 */
public sealed interface DaemonAddress {
  /** A loopback TCP address. */
  record Tcp(String host, int port) implements DaemonAddress {
    @Override
    public Connection connect() throws IOException {
      Socket socket = new Socket();
      try {
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        return new Connection(socket.getInputStream(), socket.getOutputStream(), socket);
      } catch (IOException e) {
        socket.close();
        throw e;
      }
    }

    @Override
    public String toString() {
      return "tcp://" + host + ":" + port;
    }
  }

  /** A Unix socket. */
  record Unix(Path socket) implements DaemonAddress {
    @Override
    public Connection connect() throws IOException {
      SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
      // Streams of their own, not Channels.newInputStream/newOutputStream, whose blocking
      // channel lock would make a write wait for a pending read.
      InputStream in =
          new InputStream() {
            @Override
            public int read() throws IOException {
              byte[] one = new byte[1];
              return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
              return length == 0 ? 0 : channel.read(ByteBuffer.wrap(bytes, offset, length));
            }
          };
      OutputStream out =
          new OutputStream() {
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
          };
      return new Connection(in, out, channel);
    }

    @Override
    public String toString() {
      return "unix://" + socket;
    }
  }

  /** An open connection: its two directions, and what closes it. */
  record Connection(InputStream in, OutputStream out, java.io.Closeable closer)
      implements AutoCloseable {
    @Override
    public void close() throws IOException {
      closer.close();
    }
  }

  /** Opens a connection to the daemon. */
  Connection connect() throws IOException;

  /** Parses {@code text}; throws naming what is wrong. */
  static DaemonAddress parse(String text) {
    URI uri;
    try {
      uri = URI.create(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--addr " + text + ": not an address", e);
    }
    if ("unix".equals(uri.getScheme())) {
      if (uri.getPath() == null
          || !uri.getPath().startsWith("/")
          || uri.getAuthority() != null
          || uri.getQuery() != null) {
        throw new IllegalArgumentException(
            "--addr " + text + ": use unix:///ABSOLUTE/PATH (three slashes)");
      }
      return new Unix(Path.of(uri.getPath()));
    }
    if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException(
          "--addr " + text + ": use unix:///PATH or tcp://127.0.0.1:PORT");
    }
    try {
      if (!InetAddress.getByName(uri.getHost()).isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "--addr "
                + text
                + ": only loopback addresses until the daemon speaks TLS (see docs/api.md)");
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--addr " + text + ": unknown host", e);
    }
    return new Tcp(uri.getHost(), uri.getPort());
  }
}
