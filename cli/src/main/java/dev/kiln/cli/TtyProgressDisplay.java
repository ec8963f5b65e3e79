package dev.kiln.cli;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * BuildKit's terminal display: {@code [+] Building 12.3s (7/9)}, a line per step with its time
 * ({@code CACHED}, {@code ERROR}), and the last output lines of each running step, redrawn in place
 * every 100 ms by a thread of its own. Events only update the state under a short lock, so a slow
 * terminal slows the drawing, never the build; output lines beyond the last few of a step are
 * simply not kept.
 */
final class TtyProgressDisplay implements Consumer<ProgressEvent>, AutoCloseable {
  static final int LOG_LINES = 6;
  private static final long TICK_MILLIS = 100;

  private static final class Step {
    final String name;
    final long startedNanos;
    Optional<Long> endedNanos = Optional.empty();
    boolean cached;
    boolean failed;
    final ArrayDeque<String> logs = new ArrayDeque<>();

    Step(String name, long startedNanos) {
      this.name = name;
      this.startedNanos = startedNanos;
    }
  }

  private final PrintStream out;
  private final TerminalSize size;
  private final LongSupplier nanos;
  private final long startNanos;
  private final Map<Digest, Step> steps = new LinkedHashMap<>();
  private final Optional<ScheduledExecutorService> painter;
  private final Object paintLock = new Object();
  private int paintedLines; // guarded by paintLock

  TtyProgressDisplay(PrintStream out, TerminalSize size) {
    this(out, size, System::nanoTime, true);
  }

  /** {@code paint}: false for tests, which call {@link #frame} themselves. */
  TtyProgressDisplay(PrintStream out, TerminalSize size, LongSupplier nanos, boolean paint) {
    this.out = out;
    this.size = size;
    this.nanos = nanos;
    this.startNanos = nanos.getAsLong();
    this.painter =
        paint
            ? Optional.of(
                Executors.newSingleThreadScheduledExecutor(
                    task -> {
                      Thread thread = new Thread(task, "kiln-tty");
                      thread.setDaemon(true);
                      return thread;
                    }))
            : Optional.empty();
    painter.ifPresent(
        p -> p.scheduleWithFixedDelay(() -> paint(false), 0, TICK_MILLIS, TimeUnit.MILLISECONDS));
  }

  @Override
  public synchronized void accept(ProgressEvent event) {
    long now = nanos.getAsLong();
    if (event instanceof ProgressEvent.VertexStarted e) {
      steps.putIfAbsent(e.vertex(), new Step(e.name(), now));
    } else if (event instanceof ProgressEvent.VertexCached e) {
      Step step = steps.computeIfAbsent(e.vertex(), v -> new Step(e.name(), now));
      step.cached = true;
      step.endedNanos = Optional.of(step.startedNanos);
    } else if (event instanceof ProgressEvent.VertexCompleted e) {
      steps.computeIfAbsent(e.vertex(), v -> new Step(e.name(), now)).endedNanos = Optional.of(now);
    } else if (event instanceof ProgressEvent.VertexFailed e) {
      Step step = steps.computeIfAbsent(e.vertex(), v -> new Step(e.name(), now));
      step.failed = true;
      step.endedNanos = Optional.of(now);
    } else if (event instanceof ProgressEvent.VertexLog e) {
      Step step = steps.get(e.vertex());
      if (step != null) {
        step.logs.addLast(e.line());
        if (step.logs.size() > LOG_LINES) {
          step.logs.removeFirst();
        }
      }
    }
  }

  /** The display as it stands: the header, then the steps; {@code finished} for the last one. */
  synchronized List<String> frame(boolean finished) {
    long now = nanos.getAsLong();
    int done = 0;
    List<List<String>> blocks = new ArrayList<>();
    List<Boolean> running = new ArrayList<>();
    for (Step step : steps.values()) {
      if (step.endedNanos.isPresent()) {
        done++;
      }
      List<String> block = new ArrayList<>();
      String label = (step.cached ? "CACHED " : step.failed ? "ERROR " : "") + step.name;
      long took = step.endedNanos.orElse(now) - step.startedNanos;
      block.add(withTime(" => " + label, took));
      if (step.endedNanos.isEmpty()) {
        step.logs.forEach(line -> block.add(fit(" => => # " + line)));
      }
      blocks.add(block);
      running.add(step.endedNanos.isEmpty());
    }
    String header =
        String.format(
            Locale.ROOT,
            "[+] Building %.1fs (%d/%d)%s",
            (now - startNanos) / 1e9,
            done,
            steps.size(),
            finished ? " FINISHED" : "");
    // While redrawing, the frame must fit the screen, or the cursor cannot get back to its top:
    // the oldest finished steps give way first.
    int room = finished ? Integer.MAX_VALUE : Math.max(1, size.rows() - 2);
    int lines = blocks.stream().mapToInt(List::size).sum();
    for (int i = 0; i < blocks.size() && lines > room; i++) {
      if (!running.get(i)) {
        lines -= blocks.get(i).size();
        blocks.set(i, List.of());
      }
    }
    List<String> frame = new ArrayList<>();
    frame.add(header);
    blocks.forEach(frame::addAll);
    return frame.size() - 1 > room ? frame.subList(0, room + 1) : frame;
  }

  private String withTime(String text, long nanos) {
    String time = String.format(Locale.ROOT, "%.1fs", nanos / 1e9);
    int width = size.columns() - 1;
    int space = width - time.length() - 1;
    String shown = text.length() > space ? text.substring(0, Math.max(0, space)) : text;
    return shown + " ".repeat(Math.max(1, width - shown.length() - time.length())) + time;
  }

  private String fit(String text) {
    int width = size.columns() - 1;
    return text.length() > width ? text.substring(0, width) : text;
  }

  /** Draws a frame over the last one: up to its first line, each line cleared, then the rest. */
  private void paint(boolean finished) {
    // Its own lock: a terminal that blocks the write must not block accept().
    synchronized (paintLock) {
      paintFrame(frame(finished));
    }
  }

  private void paintFrame(List<String> frame) {
    StringBuilder text = new StringBuilder();
    if (paintedLines > 0) {
      text.append("\033[").append(paintedLines).append('A');
    }
    text.append('\r');
    for (String line : frame) {
      text.append("\033[2K").append(line).append('\n');
    }
    text.append("\033[J");
    out.print(text);
    out.flush();
    paintedLines = frame.size();
  }

  /** Stops redrawing and draws the final frame. */
  @Override
  public void close() throws InterruptedException {
    if (painter.isPresent()) {
      painter.get().shutdown();
      painter.get().awaitTermination(1, TimeUnit.MINUTES);
    }
    paint(true);
  }
}
