package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Http1Test {
  private static Http1.Head head(String answer) throws IOException {
    return Http1.readHead(new ByteArrayInputStream(answer.getBytes(StandardCharsets.ISO_8859_1)));
  }

  private static String body(String answer) throws IOException {
    return new String(head(answer).body().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void readsChunkedSizedAndCloseDelimitedBodiesAfterInterimAnswers() throws IOException {
    assertEquals(
        "hello world",
        body(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nleftover"));
    assertEquals("abc", body("HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nabcdef"));
    assertEquals("to the end", body("HTTP/1.1 200 OK\r\n\r\nto the end"));
    assertEquals(404, head("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").status());
  }

  @Test
  void malformedOrHostileAnswersFailWithAClearError() {
    String[][] cases = {
      {"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP answer"},
      {"HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP answer"},
      {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "a malformed header"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", "a malformed Content-Length"},
      {
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "a malformed Content-Length"
      },
      {"HTTP/1.1 200 OK\r\nX: " + "y".repeat(20_000) + "\r\n\r\n", "longer than"},
      {"HTTP/1.1 200 OK\r\n" + "X: y\r\n".repeat(300) + "\r\n", "more than 200 headers"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "ended early"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "a malformed chunk size"},
      {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        "longer than its size"
      },
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "in the middle of a chunk"},
      {"HTTP/1.1 200 OK\r\nContent-Le", "closed the connection"},
    };
    for (String[] c : cases) {
      IOException e = assertThrows(IOException.class, () -> body(c[0]), c[1]);
      assertTrue(e.getMessage().contains(c[1]), c[1] + ": " + e.getMessage());
    }
  }

  @Test
  void writesARequestWithAChunkedBodyAndRefusesHeaderInjection() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    Http1.writeHead(wire, "POST", "/v1/builds", Map.of("Kiln-Build", "abc"), Http1.CHUNKED);
    try (OutputStream body = Http1.chunked(wire)) {
      body.write("x".repeat(70_000).getBytes(StandardCharsets.UTF_8));
    }
    String sent = wire.toString(StandardCharsets.ISO_8859_1);
    assertTrue(sent.startsWith("POST /v1/builds HTTP/1.1\r\n"), sent.substring(0, 40));
    assertTrue(sent.contains("Kiln-Build: abc\r\n"));
    assertTrue(sent.contains("\r\n\r\n10000\r\n"), "a first chunk of 64 KiB");
    assertTrue(sent.endsWith("\r\n0\r\n\r\n"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Http1.writeHead(wire, "GET", "/", Map.of("X", "a\r\nEvil: 1"), 0));
  }
}
