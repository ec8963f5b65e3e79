package dev.kiln.cli;

import dev.kiln.engine.tls.TlsFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A daemon's address: {@code unix:///PATH} (a Unix socket) or {@code tcp://HOST:PORT} (on a
 * loopback address, or anywhere with TLS); and a connection to it.
 */
public sealed interface DaemonAddress {
  /** A TCP address: on loopback, or anywhere with TLS. */
  record Tcp(String host, int port, Optional<TlsFiles> tls) implements DaemonAddress {
    public Tcp(String host, int port) {
      this(host, port, Optional.empty());
    }

    @Override
    public Connection connect() throws IOException {
      Socket socket =
          tls.isPresent() ? tls.get().context().getSocketFactory().createSocket() : new Socket();
      try {
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        if (socket instanceof SSLSocket secure) {
          SSLParameters parameters = secure.getSSLParameters();
          parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the name must match
          secure.setSSLParameters(parameters);
          try {
            secure.startHandshake();
          } catch (javax.net.ssl.SSLException e) {
            throw new javax.net.ssl.SSLException(
                "the TLS handshake failed: "
                    + e.getMessage()
                    + " (check --tlscacert, --tlscert"
                    + " and --tlskey against the daemon's)",
                e);
          }
        }
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
      return new Connection(ChannelStreams.in(channel), ChannelStreams.out(channel), channel);
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

  /** Parses {@code text}, a plain address; throws naming what is wrong. */
  static DaemonAddress parse(String text) {
    return parse(text, Optional.empty());
  }

  /**
   * Parses {@code text}; a TCP address uses {@code tls} when given, and only then may be other than
   * loopback. Throws naming what is wrong.
   */
  static DaemonAddress parse(String text, Optional<TlsFiles> tls) {
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
      if (tls.isPresent()) {
        throw new IllegalArgumentException("--addr " + text + ": TLS is for tcp:// addresses");
      }
      return new Unix(Path.of(uri.getPath()));
    }
    if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException(
          "--addr " + text + ": use unix:///PATH or tcp://127.0.0.1:PORT");
    }
    try {
      if (tls.isEmpty() && !InetAddress.getByName(uri.getHost()).isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "--addr "
                + text
                + ": an address other than loopback needs TLS (--tlscacert, --tlscert, --tlskey;"
                + " see docs/api.md)");
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--addr " + text + ": unknown host", e);
    }
    return new Tcp(uri.getHost(), uri.getPort(), tls);
  }
}
