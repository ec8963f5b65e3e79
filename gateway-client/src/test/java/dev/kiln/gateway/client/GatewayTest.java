package dev.kiln.gateway.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The client against a scripted Kiln side (the engine's side is not what this tests). */
class GatewayTest {
  @Test
  void aFrontendReadsSolvesAndReturnsTakingAnswersInAnyOrder() throws Exception {
    PipedOutputStream toFrontend = new PipedOutputStream();
    PipedInputStream frontendIn = new PipedInputStream(toFrontend, 1 << 16);
    PipedOutputStream fromFrontend = new PipedOutputStream();
    PipedInputStream kilnIn = new PipedInputStream(fromFrontend, 1 << 16);
    List<GatewayMessage> received = new ArrayList<>();
    CompletableFuture<Void> kiln =
        CompletableFuture.runAsync(
            () -> {
              try {
                send(
                    toFrontend,
                    new GatewayMessage.Hello(1, Map.of("target", "app"), List.of("context"), "f"));
                received.add(read(kilnIn)); // its hello
                var readFile = (GatewayMessage.ReadFile) read(kilnIn);
                received.add(readFile);
                send(
                    toFrontend,
                    new GatewayMessage.FileData(
                        readFile.id(), "step a\n".getBytes(StandardCharsets.UTF_8)));
                var solve = (GatewayMessage.Solve) read(kilnIn);
                received.add(solve);
                // An answer to a later id first: the client keeps it.
                send(
                    toFrontend,
                    new GatewayMessage.Error(solve.id() + 1, "no such image", Optional.empty()));
                send(toFrontend, new GatewayMessage.Solved(solve.id(), "result:1"));
                var resolve = (GatewayMessage.ResolveImageConfig) read(kilnIn);
                received.add(resolve);
                received.add(read(kilnIn)); // return
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });

    Gateway gateway = Gateway.connect(frontendIn, fromFrontend);
    assertEquals(Map.of("target", "app"), gateway.opts());
    assertEquals(List.of("context"), gateway.inputs());
    assertArrayEquals(
        "step a\n".getBytes(StandardCharsets.UTF_8), gateway.readFile("context", "Kilnfile"));
    var definition = new ObjectMapper().readTree("{\"vertices\":[],\"root\":{\"vertex\":\"a\"}}");
    assertEquals("result:1", gateway.solve(definition, false));
    GatewayException refused =
        assertThrows(GatewayException.class, () -> gateway.resolveImageConfig("nope"));
    assertEquals("no such image", refused.getMessage());
    gateway.ret(
        new GatewayMessage.Return(
            Optional.of("result:1"), Optional.empty(), Map.of(), Optional.empty()));
    kiln.get(30, TimeUnit.SECONDS);

    assertEquals(new GatewayMessage.Hello(1, Map.of(), List.of(), ""), received.get(0));
    assertEquals("Kilnfile", ((GatewayMessage.ReadFile) received.get(1)).path());
    assertEquals(definition, ((GatewayMessage.Solve) received.get(2)).definition());
    assertTrue(received.get(4) instanceof GatewayMessage.Return);
  }

  @Test
  void aKilnThatIsNoKilnIsRefusedClearly() throws IOException {
    ByteArrayOutputStream notHello = new ByteArrayOutputStream();
    send(notHello, new GatewayMessage.Solved(1, "x"));
    IOException wrongFirst =
        assertThrows(
            IOException.class,
            () ->
                Gateway.connect(
                    new ByteArrayInputStream(notHello.toByteArray()), new ByteArrayOutputStream()));
    assertTrue(wrongFirst.getMessage().startsWith("Kiln's first gateway message must be hello"));

    IOException closed =
        assertThrows(
            IOException.class,
            () ->
                Gateway.connect(
                    new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream()));
    assertEquals("Kiln closed the gateway", closed.getMessage());

    ByteArrayOutputStream helloThenNothing = new ByteArrayOutputStream();
    send(helloThenNothing, new GatewayMessage.Hello(1, Map.of(), List.of(), ""));
    Gateway gateway =
        Gateway.connect(
            new ByteArrayInputStream(helloThenNothing.toByteArray()), new ByteArrayOutputStream());
    assertEquals(
        "Kiln closed the gateway",
        assertThrows(IOException.class, () -> gateway.readFile("context", "x")).getMessage());
  }

  private static void send(java.io.OutputStream out, GatewayMessage message) throws IOException {
    Frames.write(out, GatewayCodec.encode(message));
  }

  private static GatewayMessage read(java.io.InputStream in) throws IOException {
    return GatewayCodec.decode(Frames.read(in).orElseThrow());
  }
}
