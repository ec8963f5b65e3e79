package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.Engine;
import dev.kiln.engine.check.CheckReport;
import dev.kiln.engine.check.Problem;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kiln check}: verifies a root (every blob by its digest, every cache record's and image's
 * references, leftovers of interrupted runs) and with {@code --repair} drops only what is broken.
 * Exit 0 when no damage is left (leftovers alone are harmless), 1 when some is or the root cannot
 * be checked, 2 for a usage error (docs/check.md).
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description =
        "Verify a root: every blob by its digest, every cache record's and image's references;"
            + " --repair drops only the broken entries.")
final class CheckCommand implements Callable<Integer> {
  @Mixin RootOption root = new RootOption();

  @Option(
      names = "--repair",
      description =
          "Drop the broken entries (corrupt blobs, records naming missing layers) and remove"
              + " leftovers of interrupted runs; nothing healthy is touched.")
  boolean repair;

  @Option(names = "--format", paramLabel = "text|json", defaultValue = "text")
  String format;

  @Override
  public Integer call() {
    if (!format.equals("text") && !format.equals("json")) {
      System.err.println("error: --format " + format + ": use text or json");
      return 2;
    }
    CheckReport report;
    try {
      report = Engine.check(root.path(), repair);
    } catch (IOException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    PrintStream out = System.out;
    if (format.equals("json")) {
      out.println(json(report).toPrettyString());
    } else {
      report.problems().forEach(problem -> out.println(line(problem, report.repair())));
      out.println(summary(report));
    }
    return report.clean() ? 0 : 1;
  }

  /** One problem: its kind, file or key, what is wrong, and what a repair does or did. */
  static String line(Problem problem, boolean repair) {
    String outcome;
    if (!repair) {
      outcome = "--repair " + problem.action().will();
    } else if (problem.repaired()) {
      outcome = problem.action().did();
    } else {
      outcome = "not repaired";
    }
    return problem.kind().label()
        + " "
        + problem.subject()
        + ": "
        + problem.detail()
        + "; "
        + outcome;
  }

  /** The last line: what was checked, what was found and what to do about it. */
  static String summary(CheckReport report) {
    CheckReport.Counts n = report.checked();
    int damage = report.damage().size();
    int leftovers = report.leftovers().size();
    String head =
        "checked "
            + plural(n.blobs(), "blob")
            + ", "
            + plural(n.records(), "record")
            + ", "
            + plural(n.layers(), "layer")
            + ", "
            + plural(n.images(), "image")
            + ": "
            + plural(damage, "problem")
            + (leftovers == 1 ? ", 1 leftover of an interrupted run" : "")
            + (leftovers > 1 ? ", " + leftovers + " leftovers of interrupted runs" : "");
    if (report.problems().isEmpty()) {
      return head;
    }
    if (report.repair()) {
      int repaired = report.repaired().size();
      int left = report.problems().size() - repaired;
      return head + ": repaired " + repaired + (left > 0 ? ", " + left + " left (see above)" : "");
    }
    long manual = report.damage().stream().filter(p -> p.action() == Problem.Action.NONE).count();
    if (damage == 0) {
      return head + " (harmless; kiln check --repair removes them)";
    }
    if (manual == damage) {
      return head + "; --repair cannot fix " + (damage == 1 ? "it" : "them") + ": see above";
    }
    return head
        + "; run kiln check --repair to drop the broken entries"
        + (manual > 0 ? " (" + manual + " of them it cannot fix: see above)" : "");
  }

  /** The report as JSON: what was checked, every problem, and whether the root is clean. */
  static ObjectNode json(CheckReport report) {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("root", report.root().toString());
    json.put("repair", report.repair());
    json.put("clean", report.clean());
    ObjectNode checked = json.putObject("checked");
    checked.put("blobs", report.checked().blobs());
    checked.put("records", report.checked().records());
    checked.put("layers", report.checked().layers());
    checked.put("images", report.checked().images());
    ArrayNode problems = json.putArray("problems");
    for (Problem problem : report.problems()) {
      ObjectNode p = problems.addObject();
      p.put("kind", problem.kind().label());
      p.put("leftover", problem.kind().leftover());
      p.put("subject", problem.subject());
      p.put("detail", problem.detail());
      p.put("action", problem.action().label());
      p.put("repaired", problem.repaired());
    }
    json.put("remaining", report.remaining().size());
    return json;
  }

  private static String plural(long count, String noun) {
    return count + " " + noun + (count == 1 ? "" : "s");
  }
}
