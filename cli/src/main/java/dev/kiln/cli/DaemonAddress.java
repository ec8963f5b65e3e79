package dev.kiln.cli;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/** A daemon's address, {@code tcp://HOST:PORT} on a loopback address (no TLS yet). */
public record DaemonAddress(String host, int port) {
  /** Parses {@code text}; throws naming what is wrong. */
  public static DaemonAddress parse(String text) {
    if (text.startsWith("unix://")) {
      throw new IllegalArgumentException(
          "--addr " + text + ": Unix sockets are not supported yet; use tcp://127.0.0.1:PORT");
    }
    URI uri;
    try {
      uri = URI.create(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--addr " + text + ": not an address", e);
    }
    if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException("--addr " + text + ": use tcp://HOST:PORT");
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
    return new DaemonAddress(uri.getHost(), uri.getPort());
  }

  URI http(String path) {
    return URI.create("http://" + host + ":" + port + path);
  }

  @Override
  public String toString() {
    return "tcp://" + host + ":" + port;
  }
}
