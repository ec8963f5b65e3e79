package dev.kiln.gateway.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A frontend's side of the gateway API (docs/gateway.md), over its standard input (Kiln's answers)
 * and output (its requests). One request at a time: each call sends a request and waits for its
 * answer; an answer to another id, which Kiln may send in any order, is kept until asked for.
 * {@link #connect} does the hello; {@link #ret} ends the conversation. Not thread-safe.
 */
public final class Gateway {
  private final InputStream in;
  private final OutputStream out;
  private final GatewayMessage.Hello hello;
  private final Map<Long, GatewayMessage.Answer> early = new HashMap<>();
  private long nextId = 1;

  private Gateway(InputStream in, OutputStream out, GatewayMessage.Hello hello) {
    this.in = in;
    this.out = out;
    this.hello = hello;
  }

  /** Reads Kiln's hello from {@code in} and answers it on {@code out} with this version. */
  public static Gateway connect(InputStream in, OutputStream out) throws IOException {
    GatewayMessage first = next(in);
    if (!(first instanceof GatewayMessage.Hello hello)) {
      throw new IOException("Kiln's first gateway message must be hello, not " + first);
    }
    if (hello.version() < GatewayMessage.VERSION) {
      throw new IOException(
          "Kiln speaks gateway version "
              + hello.version()
              + "; this frontend needs "
              + GatewayMessage.VERSION);
    }
    Frames.write(
        out,
        GatewayCodec.encode(
            new GatewayMessage.Hello(GatewayMessage.VERSION, Map.of(), List.of(), "")));
    return new Gateway(in, out, hello);
  }

  /** The build's options ({@code target}, {@code build-arg:NAME}, …). */
  public Map<String, String> opts() {
    return hello.opts();
  }

  /**
   * The frontend's own image as a source identifier ({@code oci-layout://DIR@sha256:…}): a
   * definition may use it as a base.
   */
  public String frontend() {
    return hello.frontend();
  }

  /** The references this frontend may read from the start ({@code context}, …). */
  public List<String> inputs() {
    return hello.inputs();
  }

  /** The bytes of {@code path} in {@code ref} (at most 16 MiB at once). */
  public byte[] readFile(String ref, String path) throws IOException {
    long id = nextId++;
    return answer(
            new GatewayMessage.ReadFile(id, ref, path, 0, Optional.empty()),
            GatewayMessage.FileData.class)
        .data();
  }

  /** The entries of directory {@code path} in {@code ref}. */
  public List<GatewayMessage.Entry> readDir(String ref, String path) throws IOException {
    long id = nextId++;
    return answer(
            new GatewayMessage.ReadDir(id, ref, path, List.of()), GatewayMessage.DirEntries.class)
        .entries();
  }

  /** What {@code path} in {@code ref} is. */
  public GatewayMessage.FileStat stat(String ref, String path) throws IOException {
    long id = nextId++;
    return answer(new GatewayMessage.Stat(id, ref, path), GatewayMessage.FileStat.class);
  }

  /** Image {@code image}'s manifest digest and config. */
  public GatewayMessage.ImageConfig resolveImageConfig(String image) throws IOException {
    long id = nextId++;
    return answer(
        new GatewayMessage.ResolveImageConfig(id, image, Optional.empty()),
        GatewayMessage.ImageConfig.class);
  }

  /** Solves {@code definition}; the reference to its result. */
  public String solve(JsonNode definition, boolean evaluate) throws IOException {
    long id = nextId++;
    return answer(new GatewayMessage.Solve(id, definition, evaluate), GatewayMessage.Solved.class)
        .ref();
  }

  /** Ends the conversation with the build's result (and its image config), or its error. */
  public void ret(GatewayMessage.Return result) throws IOException {
    Frames.write(out, GatewayCodec.encode(result));
  }

  /** Sends {@code request}, then reads until its answer; Kiln's error answer is thrown. */
  private <A extends GatewayMessage.Answer> A answer(GatewayMessage.Request request, Class<A> kind)
      throws IOException {
    Frames.write(out, GatewayCodec.encode(request));
    GatewayMessage.Answer answer = early.remove(request.id());
    while (answer == null) {
      GatewayMessage message = next(in);
      if (!(message instanceof GatewayMessage.Answer received)) {
        throw new IOException("Kiln sent " + message + " where an answer was due");
      }
      if (received.id() == request.id()) {
        answer = received;
      } else {
        early.put(received.id(), received);
      }
    }
    if (answer instanceof GatewayMessage.Error error) {
      throw new GatewayException(error);
    }
    if (!kind.isInstance(answer)) {
      throw new IOException("Kiln answered " + request + " with " + answer);
    }
    return kind.cast(answer);
  }

  private static GatewayMessage next(InputStream in) throws IOException {
    return GatewayCodec.decode(
        Frames.read(in).orElseThrow(() -> new IOException("Kiln closed the gateway")));
  }
}
