package dev.kiln.cli;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Prints progress as BuildKit's plain display does: {@code #3 [name]}, output lines with their
 * time, then {@code #3 DONE 10.1s}, {@code #3 CACHED} or {@code #3 ERROR: ...}.
 */
final class PlainProgressPrinter implements Consumer<ProgressEvent> {
  private final PrintStream out;
  private final Map<Digest, Integer> numbers = new HashMap<>();

  PlainProgressPrinter(PrintStream out) {
    this.out = out;
  }

  @Override
  public void accept(ProgressEvent event) {
    if (event instanceof ProgressEvent.VertexStarted e) {
      out.println();
      out.println(number(e.vertex()) + " " + e.name());
    } else if (event instanceof ProgressEvent.VertexCached e) {
      out.println();
      out.println(number(e.vertex()) + " " + e.name());
      out.println(number(e.vertex()) + " CACHED");
    } else if (event instanceof ProgressEvent.VertexLog e) {
      out.println(number(e.vertex()) + " " + seconds(e.sinceStart(), 3) + " " + e.line());
    } else if (event instanceof ProgressEvent.VertexCompleted e) {
      out.println(number(e.vertex()) + " DONE " + seconds(e.took(), 1) + "s");
    } else if (event instanceof ProgressEvent.VertexFailed e) {
      out.println(number(e.vertex()) + " ERROR: " + e.error());
    }
    out.flush();
  }

  private String number(Digest vertex) {
    return "#" + numbers.computeIfAbsent(vertex, v -> numbers.size() + 1);
  }

  private static String seconds(Duration duration, int decimals) {
    return String.format(
        java.util.Locale.ROOT, "%." + decimals + "f", duration.toMillis() / 1000.0);
  }
}
