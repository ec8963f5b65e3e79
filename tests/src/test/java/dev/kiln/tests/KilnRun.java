package dev.kiln.tests;

import dev.kiln.cli.KilnCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One run of the {@code kiln} command in this JVM: its exit code and what it wrote to stderr and
 * stdout.
 */
record KilnRun(int exit, String err, String out) {
  KilnRun(int exit, String err) {
    this(exit, err, "");
  }

  /** Runs {@code kiln args}, capturing stderr (stdout goes where it goes). */
  static KilnRun of(String... args) {
    PrintStream savedErr = System.err;
    var err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new KilnRun(KilnCommand.run(args), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(savedErr);
    }
  }

  /** Runs {@code kiln args}, capturing stderr and stdout (as text). */
  static KilnRun withStdout(String... args) {
    PrintStream savedOut = System.out;
    var out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      KilnRun run = of(args);
      return new KilnRun(run.exit(), run.err(), out.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(savedOut);
    }
  }
}
