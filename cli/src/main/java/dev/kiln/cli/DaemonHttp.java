package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP exchange with a daemon, over TCP or a Unix socket, without an actor system: a request
 * (its body streamed, chunked) and the answer's status and body. A daemon that cannot be reached is
 * an {@link Unreachable}.
 */
final class DaemonHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DaemonHttp() {}

  /** Writes a request's body as it is sent. */
  @FunctionalInterface
  interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  /** A body whose bytes are all known beforehand: sent with its length. */
  record Sized(byte[] bytes) implements Body {
    @Override
    public void writeTo(OutputStream out) throws IOException {
      out.write(bytes);
    }
  }

  /** The daemon is not there: nothing listens at its address. */
  static final class Unreachable extends IOException {
    Unreachable(DaemonAddress address, IOException cause) {
      super("cannot reach the daemon at " + address + ": " + cause.getMessage(), cause);
    }
  }

  /** An answer: its status, and its body (the error body for a status other than 2xx). */
  record Answer(int status, InputStream body) implements AutoCloseable {
    boolean ok() {
      return status / 100 == 2;
    }

    /** This answer, if the daemon accepted the request; else {@link Refused} with its error. */
    Answer accepted() throws IOException {
      if (!ok()) {
        try (this) {
          throw new Refused(status, error());
        }
      }
      return this;
    }

    /** The body read as JSON. */
    JsonNode json() throws IOException {
      try (body) {
        return JSON.readTree(body);
      }
    }

    /** A refusal's text: the {@code error} field of its JSON body, or the body itself. */
    String error() throws IOException {
      String text = new String(body.readAllBytes(), StandardCharsets.UTF_8).strip();
      try {
        return JSON.readTree(text).path("error").asText(text);
      } catch (IOException e) {
        return text;
      }
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  /** A request the daemon refused: its status and what it said. */
  static final class Refused extends IOException {
    final int status;

    Refused(int status, String error) {
      super(error);
      this.status = status;
    }
  }

  /** GETs {@code path}'s JSON; throws {@link Refused} with the daemon's error otherwise. */
  static JsonNode get(DaemonAddress address, String path) throws IOException {
    return json(exchange(address, "GET", path, Map.of(), Optional.empty()));
  }

  /** POSTs {@code json}; the answer's JSON, or {@link Refused} with the daemon's error. */
  static JsonNode post(DaemonAddress address, String path, JsonNode json) throws IOException {
    byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
    return json(
        exchange(
            address,
            "POST",
            path,
            Map.of("Content-Type", "application/json"),
            Optional.of(new Sized(bytes))));
  }

  private static JsonNode json(Answer answer) throws IOException {
    return answer.accepted().json();
  }

  /**
   * Sends a request and returns the answer. A daemon that refuses a body before reading it all (too
   * large, bad options) answers anyway: its answer is what counts.
   */
  static Answer exchange(
      DaemonAddress address,
      String method,
      String path,
      Map<String, String> headers,
      Optional<Body> body)
      throws IOException {
    DaemonAddress.Connection connection;
    try {
      connection = address.connect();
    } catch (IOException e) {
      throw new Unreachable(address, e);
    }
    try {
      SendStream out = new SendStream(connection.out());
      try {
        if (body.isPresent() && body.get() instanceof Sized sized) {
          // A known length lets the daemon refuse a body beyond its limit before reading it.
          Http1.writeHead(out, method, path, headers, sized.bytes().length);
          out.write(sized.bytes());
          out.flush();
        } else {
          Http1.writeHead(out, method, path, headers, body.isPresent() ? Http1.CHUNKED : 0);
        }
        if (body.isPresent() && !(body.get() instanceof Sized)) {
          try (OutputStream chunks = Http1.chunked(out)) {
            body.get().writeTo(chunks);
          }
        }
      } catch (IOException e) {
        if (!out.failed) {
          throw e; // the body's own failure, such as a file that cannot be read
        }
        // Refused before the body was all sent: the answer says why.
      }
      Http1.Head head = Http1.readHead(new java.io.BufferedInputStream(connection.in(), 1 << 16));
      return new Answer(head.status(), new ClosingInput(head.body(), connection));
    } catch (IOException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  /** A body whose end closes the connection. */
  private static final class ClosingInput extends java.io.FilterInputStream {
    private final DaemonAddress.Connection connection;

    ClosingInput(InputStream in, DaemonAddress.Connection connection) {
      super(in);
      this.connection = connection;
    }

    @Override
    public void close() throws IOException {
      connection.close();
    }
  }

  /** The request's stream, noting whether sending failed. */
  private static final class SendStream extends java.io.FilterOutputStream {
    boolean failed;

    SendStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      try {
        out.write(bytes, offset, length);
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void close() {
      // the connection closes with the answer's body
    }
  }
}
