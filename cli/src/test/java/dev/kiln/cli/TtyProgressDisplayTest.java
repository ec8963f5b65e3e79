package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.LogStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TtyProgressDisplayTest {
  static final Digest BASE = Digest.sha256("base");
  static final Digest RUN = Digest.sha256("run");
  static final Digest COPY = Digest.sha256("copy");

  final AtomicLong clock = new AtomicLong();
  final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  final TtyProgressDisplay display =
      new TtyProgressDisplay(
          new PrintStream(bytes, true, StandardCharsets.UTF_8),
          new TerminalSize(60, 24),
          clock::get,
          false);

  private void at(double seconds) {
    clock.set((long) (seconds * 1e9));
  }

  private static ProgressEvent log(Digest vertex, String line) {
    return new ProgressEvent.VertexLog(vertex, LogStream.STDOUT, line, Duration.ZERO);
  }

  @Test
  void showsStepsWithTheirTimesAndTheLastOutputOfRunningOnes() {
    display.accept(new ProgressEvent.VertexCached(BASE, "[1/3] FROM busybox", BASE));
    display.accept(new ProgressEvent.VertexStarted(RUN, "[2/3] RUN make", Instant.EPOCH));
    for (int i = 1; i <= 8; i++) {
      display.accept(log(RUN, "line " + i));
    }
    at(2.5);

    List<String> frame = display.frame(false);

    assertEquals("[+] Building 2.5s (1/2)", frame.get(0));
    assertEquals(" => CACHED [1/3] FROM busybox" + " ".repeat(26) + "0.0s", frame.get(1));
    assertTrue(frame.get(2).startsWith(" => [2/3] RUN make "), frame.get(2));
    assertTrue(frame.get(2).endsWith(" 2.5s"), frame.get(2));
    assertEquals(
        List.of(" => => # line 3", " => => # line 4", " => => # line 5"),
        frame.subList(3, 6),
        "the last six lines, oldest first");
    assertEquals(" => => # line 8", frame.get(8));
    assertEquals(59, frame.get(1).length(), "lines fill the width but the last column");
  }

  @Test
  void aFinishedStepShowsItsDurationNotItsOutputAndErrorsAreMarked() {
    display.accept(new ProgressEvent.VertexStarted(RUN, "[2/3] RUN make", Instant.EPOCH));
    display.accept(log(RUN, "compiling"));
    at(1.25);
    display.accept(new ProgressEvent.VertexCompleted(RUN, "[2/3] RUN make", Duration.ZERO));
    display.accept(new ProgressEvent.VertexStarted(COPY, "[3/3] RUN false", Instant.EPOCH));
    at(2);
    display.accept(
        new ProgressEvent.VertexFailed(COPY, "[3/3] RUN false", "exit 1", Duration.ZERO));
    at(3);

    List<String> frame = display.frame(true);

    assertEquals("[+] Building 3.0s (2/2) FINISHED", frame.get(0));
    assertTrue(frame.get(1).endsWith(" 1.2s") || frame.get(1).endsWith(" 1.3s"), frame.get(1));
    assertTrue(frame.get(2).startsWith(" => ERROR [3/3] RUN false"), frame.get(2));
    assertEquals(3, frame.size(), "no output lines of finished steps: " + frame);
  }

  @Test
  void aLongNameIsCutSoTheTimeStaysOnItsLine() {
    display.accept(
        new ProgressEvent.VertexStarted(RUN, "[2/3] RUN " + "x".repeat(200), Instant.EPOCH));
    String line = display.frame(false).get(1);
    assertEquals(59, line.length());
    assertTrue(line.endsWith(" 0.0s"), line);
  }

  @Test
  void whileRunningTheFrameFitsTheScreenByDroppingTheOldestFinishedSteps() {
    for (int i = 0; i < 40; i++) {
      Digest done = Digest.sha256("done" + i);
      display.accept(new ProgressEvent.VertexCached(done, "[" + i + "] step", done));
    }
    display.accept(new ProgressEvent.VertexStarted(RUN, "[41] RUN make", Instant.EPOCH));

    List<String> frame = display.frame(false);

    assertTrue(frame.size() <= 23, "frame of " + frame.size() + " lines on 24 rows");
    assertTrue(frame.get(frame.size() - 1).startsWith(" => [41] RUN make"), frame.toString());
    assertEquals(42, display.frame(true).size(), "the final frame shows every step");
  }

  @Test
  void closingDrawsTheFinalFrameOverTheLastOne() throws Exception {
    display.accept(new ProgressEvent.VertexCached(BASE, "[1/3] FROM busybox", BASE));
    display.close();
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("\033[2K[+] Building 0.0s (1/1) FINISHED\n"), text);
    assertFalse(text.contains("\033[0A"), text);
  }
}
