package dev.kiln.gateway.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GatewayCodecTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<GatewayMessage> samples() throws IOException {
    var definition = JSON.readTree("{\"vertices\":[],\"root\":{\"vertex\":\"a\"}}");
    var config = JSON.readTree("{\"config\":{\"Env\":[\"PATH=/bin\"]}}");
    return List.of(
        new GatewayMessage.Hello(1, Map.of("target", "app"), List.of("context"), "kiln-frontend"),
        new GatewayMessage.Hello(1, Map.of(), List.of(), ""),
        new GatewayMessage.ReadFile(1, "context", "Kilnfile", 0, Optional.empty()),
        new GatewayMessage.ReadFile(2, "result:1", "/out/a", 10, Optional.of(100L)),
        new GatewayMessage.ReadDir(3, "context", ".", List.of("*.txt")),
        new GatewayMessage.Stat(4, "context", "link"),
        new GatewayMessage.ResolveImageConfig(5, "busybox:latest", Optional.of("linux/amd64")),
        new GatewayMessage.Solve(6, definition, true),
        new GatewayMessage.Return(
            Optional.of("result:1"), Optional.of(config), Map.of("k", "v"), Optional.empty()),
        new GatewayMessage.Return(
            Optional.empty(), Optional.empty(), Map.of(), Optional.of("Kilnfile:3: no such step")),
        new GatewayMessage.FileData(1, "bytes\0and more".getBytes(StandardCharsets.UTF_8)),
        new GatewayMessage.DirEntries(
            3, List.of(new GatewayMessage.Entry("a.txt", "file", 4, 0644))),
        new GatewayMessage.FileStat(4, "symlink", 0, 0777, Optional.of("target")),
        new GatewayMessage.ImageConfig(5, "sha256:abc", config),
        new GatewayMessage.Solved(6, "result:1"),
        new GatewayMessage.Error(6, "a step failed", Optional.of("[2/3] RUN make")));
  }

  @Test
  void everyMessageReadsBackAsItWasWrittenThroughFrames() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    for (GatewayMessage message : samples()) {
      Frames.write(wire, GatewayCodec.encode(message));
    }
    ByteArrayInputStream in = new ByteArrayInputStream(wire.toByteArray());
    for (GatewayMessage message : samples()) {
      assertEquals(message, GatewayCodec.decode(Frames.read(in).orElseThrow()));
    }
    assertEquals(Optional.empty(), Frames.read(in), "a clean end after the last frame");
  }

  @Test
  void theWireFormIsTheDocumentedOne() throws IOException {
    String json =
        new String(
            GatewayCodec.encode(
                new GatewayMessage.ReadFile(7, "context", "Kilnfile", 0, Optional.empty())),
            StandardCharsets.UTF_8);
    assertEquals(
        "{\"type\":\"read-file\",\"id\":7,\"ref\":\"context\",\"path\":\"Kilnfile\",\"offset\":0}",
        json);
    assertEquals(
        new GatewayMessage.Hello(1, Map.of(), List.of(), ""),
        GatewayCodec.decode(
            "{\"type\":\"hello\",\"version\":1,\"from\":\"a newer peer\"}"
                .getBytes(StandardCharsets.UTF_8)));
  }

  private static String refused(String body) {
    return assertThrows(
            IOException.class, () -> GatewayCodec.decode(body.getBytes(StandardCharsets.UTF_8)))
        .getMessage();
  }

  @Test
  void malformedMessagesAreRefusedSayingWhatIsWrong() {
    assertTrue(refused("{not json").startsWith("a gateway message is not JSON"));
    assertEquals("a gateway message must be a JSON object", refused("[1,2]"));
    assertEquals("a gateway message has no \"type\"", refused("{\"id\":1}"));
    assertEquals("a gateway message has no \"type\"", refused("{\"type\":3}"));
    assertEquals("unknown gateway message type \"rm-rf\"", refused("{\"type\":\"rm-rf\"}"));
    assertTrue(
        refused("{\"type\":\"read-file\",\"id\":1,\"ref\":\"context\"}")
            .endsWith("read-file needs a path"));
    assertTrue(
        refused("{\"type\":\"read-file\",\"id\":1,\"ref\":\"c\",\"path\":\"p\",\"offset\":-1}")
            .endsWith("offset must be 0 or more"));
    assertTrue(
        refused("{\"type\":\"solve\",\"id\":1}")
            .endsWith("solve needs a definition (a JSON object)"));
    assertTrue(
        refused("{\"type\":\"return\",\"ref\":\"r\",\"error\":\"e\"}")
            .endsWith("return needs a ref or an error, not both"));
    assertTrue(refused("{\"type\":\"hello\"}").endsWith("hello needs a version of 1 or more"));
    assertTrue(
        refused("{\"type\":\"read-file\",\"id\":\"x\",\"ref\":\"c\",\"path\":\"p\"}")
            .startsWith("a gateway \"read-file\" message is malformed"));
  }

  @Test
  void hostileFramesAreRefusedBeforeTheirBodyIsRead() throws IOException {
    byte[] huge = {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3};
    IOException tooLarge =
        assertThrows(IOException.class, () -> Frames.read(new ByteArrayInputStream(huge)));
    assertEquals(
        "a gateway frame of 2147483647 bytes: frames hold 1 byte to 16777216 bytes",
        tooLarge.getMessage());
    byte[] overLimit = {1, 0, 0, 1};
    assertTrue(
        assertThrows(IOException.class, () -> Frames.read(new ByteArrayInputStream(overLimit)))
            .getMessage()
            .startsWith("a gateway frame of 16777217 bytes"));
    byte[] empty = {0, 0, 0, 0};
    assertTrue(
        assertThrows(IOException.class, () -> Frames.read(new ByteArrayInputStream(empty)))
            .getMessage()
            .startsWith("a gateway frame of 0 bytes"));
    byte[] cutInLength = {0, 0};
    assertEquals(
        "a gateway frame was cut short in its length",
        assertThrows(IOException.class, () -> Frames.read(new ByteArrayInputStream(cutInLength)))
            .getMessage());
    byte[] cutInBody = {0, 0, 0, 10, '{', '}'};
    assertEquals(
        "a gateway frame of 10 bytes was cut short",
        assertThrows(IOException.class, () -> Frames.read(new ByteArrayInputStream(cutInBody)))
            .getMessage());
    assertThrows(
        IOException.class,
        () -> Frames.write(new ByteArrayOutputStream(), new byte[Frames.MAX_BYTES + 1]));
    ByteArrayOutputStream largest = new ByteArrayOutputStream();
    Frames.write(largest, new byte[Frames.MAX_BYTES]);
    assertArrayEquals(
        new byte[Frames.MAX_BYTES],
        Frames.read(new ByteArrayInputStream(largest.toByteArray())).orElseThrow());
  }
}
