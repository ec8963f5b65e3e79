package dev.kiln.engine.executor;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns a finished sandbox process into success or the error a user should read. */
final class ExitStatus {
  // bwrap's own report when the command cannot be executed; bwrap then exits with 1.
  private static final Pattern NOT_FOUND =
      Pattern.compile("^bwrap: execvp (.*): No such file or directory$");

  // crun's, in its log, when the step's executable cannot be found.
  private static final Pattern CRUN_NOT_FOUND =
      Pattern.compile("executable file `(.*)` not found in \\$PATH");

  private ExitStatus() {}

  /**
   * Throws for a step the runtime could not start: {@code error} is crun's own message (its exit
   * code alone cannot tell its failures from the step's).
   */
  static void runtimeFailed(List<String> args, String error, SandboxProcess.Outcome outcome)
      throws ExecException {
    Matcher m = CRUN_NOT_FOUND.matcher(error);
    if (m.find()) {
      throw new ExecException(
          "executable \"" + m.group(1) + "\" not found in the root filesystem",
          outcome.exitCode(),
          outcome.lastLines());
    }
    throw new ExecException(
        "could not start \"" + String.join(" ", args) + "\": crun: " + error,
        outcome.exitCode(),
        outcome.lastLines());
  }

  static void check(List<String> args, SandboxProcess.Outcome outcome) throws ExecException {
    check(args, outcome, java.util.Optional.empty());
  }

  /** As above; {@code limit} says which of the step's limits it reached, when it reached one. */
  static void check(
      List<String> args, SandboxProcess.Outcome outcome, java.util.Optional<String> limit)
      throws ExecException {
    if (outcome.exitCode() == 0) {
      return;
    }
    List<String> tail = outcome.lastLines();
    if (outcome.exitCode() == 1 && !tail.isEmpty()) {
      Matcher m = NOT_FOUND.matcher(tail.get(tail.size() - 1));
      if (m.matches()) {
        throw new ExecException(
            "executable \"" + m.group(1) + "\" not found in the root filesystem",
            outcome.exitCode(),
            tail);
      }
    }
    throw new ExecException(
        "process \""
            + String.join(" ", args)
            + "\" did not complete successfully: exit code: "
            + outcome.exitCode()
            + limit.map(reason -> ": " + reason).orElse(""),
        outcome.exitCode(),
        tail);
  }
}
