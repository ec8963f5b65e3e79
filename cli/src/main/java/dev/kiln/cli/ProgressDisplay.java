package dev.kiln.cli;

import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.progress.ProgressJson;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code --progress}: how a build's progress is shown on standard error, as buildx does — {@code
 * tty} (the redrawn display), {@code plain} (numbered lines), {@code rawjson} (one event per line),
 * {@code quiet} (nothing), {@code auto} (tty on a terminal, plain otherwise). Every mode prints
 * from a thread of its own, so a slow terminal never slows the build.
 */
interface ProgressDisplay extends Consumer<ProgressEvent>, AutoCloseable {
  /** Log lines waiting for a slow plain or rawjson printer beyond which new ones are dropped. */
  int MAX_WAITING_LINES = 10_000;

  /** Shows what is left to show; the display is done after. */
  @Override
  void close() throws InterruptedException;

  /** Throws, naming the modes, unless {@code mode} is one. */
  static void check(String mode) {
    if (!java.util.Set.of("auto", "tty", "plain", "rawjson", "quiet")
        .contains(mode.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "--progress " + mode + ": use auto, tty, plain, rawjson or quiet");
    }
  }

  /** The mode {@code mode} stands for here: {@code auto} becomes {@code tty} or {@code plain}. */
  static String resolve(String mode) {
    String chosen = mode.toLowerCase(Locale.ROOT);
    if (chosen.equals("auto")) {
      return TerminalSize.stderrIsTerminal() ? "tty" : "plain";
    }
    return chosen;
  }

  /** The display {@code mode} names, on {@code err}; throws naming the modes on a bad one. */
  static ProgressDisplay of(String mode, PrintStream err) {
    return switch (resolve(mode)) {
      case "tty" -> {
        TtyProgressDisplay tty = new TtyProgressDisplay(err, TerminalSize.detect());
        yield of(tty, tty::close);
      }
      case "plain" -> feed(new PlainProgressPrinter(err));
      case "rawjson" -> feed(event -> err.println(ProgressJson.write(event)));
      case "quiet" -> of(event -> {}, () -> {});
      default ->
          throw new IllegalArgumentException(
              "--progress " + mode + ": use auto, tty, plain, rawjson or quiet");
    };
  }

  private static ProgressDisplay feed(Consumer<ProgressEvent> printer) {
    ProgressFeed feed = new ProgressFeed(printer, MAX_WAITING_LINES);
    return of(feed, feed::close);
  }

  /** Something that can be closed, as {@link ProgressDisplay#close} is. */
  interface Closer {
    void close() throws InterruptedException;
  }

  private static ProgressDisplay of(Consumer<ProgressEvent> show, Closer closer) {
    return new ProgressDisplay() {
      @Override
      public void accept(ProgressEvent event) {
        show.accept(event);
      }

      @Override
      public void close() throws InterruptedException {
        closer.close();
      }
    };
  }
}
