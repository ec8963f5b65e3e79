package dev.kiln.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Standard output for archives ({@code dest=-}): a PrintStream swallows write errors, so a closed
 * pipe would pass unnoticed; this stream turns them into IOExceptions. Never closes stdout.
 */
final class CheckedStdout extends OutputStream {
  private final PrintStream out;

  CheckedStdout(PrintStream out) {
    this.out = out;
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    check();
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    check();
  }

  @Override
  public void flush() throws IOException {
    out.flush();
    check();
  }

  private void check() throws IOException {
    if (out.checkError()) {
      throw new IOException("cannot write to standard output (closed pipe?)");
    }
  }
}
