package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.LogStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PlainProgressPrinterTest {
  @Test
  void numbersVerticesInOrderOfAppearanceLikeBuildkit() {
    var bytes = new ByteArrayOutputStream();
    var printer = new PlainProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    Digest base = Digest.sha256("base");
    Digest step = Digest.sha256("step");
    printer.accept(new ProgressEvent.VertexCached(base, "[base] busybox", base));
    printer.accept(
        new ProgressEvent.VertexStarted(step, "[stage 2/3] RUN sleep 10", Instant.now()));
    printer.accept(
        new ProgressEvent.VertexLog(step, LogStream.STDOUT, "hello", Duration.ofMillis(123)));
    printer.accept(
        new ProgressEvent.VertexCompleted(
            step, "[stage 2/3] RUN sleep 10", Duration.ofMillis(10_100)));
    assertEquals(
        String.join(
            "\n",
            "",
            "#1 [base] busybox",
            "#1 CACHED",
            "",
            "#2 [stage 2/3] RUN sleep 10",
            "#2 0.123 hello",
            "#2 DONE 10.1s",
            ""),
        bytes.toString(StandardCharsets.UTF_8));
  }
}
