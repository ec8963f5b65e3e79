package dev.kiln.tests;

import dev.kiln.cli.KilnCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One run of the {@code kiln} command in this JVM: its exit code and what it wrote to stderr. */
record KilnRun(int exit, String err) {
  static KilnRun of(String... args) {
    PrintStream saved = System.err;
    var bytes = new ByteArrayOutputStream();
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      return new KilnRun(KilnCommand.run(args), bytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }
}
