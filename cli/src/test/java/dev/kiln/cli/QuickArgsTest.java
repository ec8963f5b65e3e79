package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class QuickArgsTest {
  @Test
  void aPlainCommandLineFillsTheCommandAsPicocliDoes() throws Exception {
    List<List<String>> lines =
        List.of(
            List.of("."),
            List.of("--addr", "unix:///run/kiln.sock", "-t", "app", "--tag=v2", "ctx"),
            List.of(
                "-f",
                "Other.Dockerfile",
                "--build-arg",
                "A=1",
                "--build-arg",
                "B=2",
                "--no-cache",
                "--push",
                "--no-cache-filter",
                "a,b",
                "--progress=plain",
                "--secret",
                "id=x,env=HOME",
                "--output",
                "type=local,dest=out",
                "--exec-slots",
                "3",
                "--ssh",
                "default",
                "dir"),
            List.of("--definition", "g.json", "--local", "files=x", "--metadata-file", "m.json"),
            List.of());
    for (List<String> line : lines) {
      BuildCommand quick = new BuildCommand();
      assertTrue(QuickArgs.fill(quick, line), line.toString());
      BuildCommand picocli = new BuildCommand();
      new CommandLine(picocli).parseArgs(line.toArray(String[]::new));
      assertEquals(values(picocli), values(quick), line.toString());
    }
  }

  @Test
  void anythingElseIsLeftToPicocli() {
    List<List<String>> lines =
        List.of(
            List.of("--help"),
            List.of("-h"),
            List.of("-V"),
            List.of("--bogus", "."),
            List.of("-tapp", "."),
            List.of("--target", "a", "--target", "b", "."),
            List.of("one", "two"),
            List.of("@args.txt"),
            List.of("--", "."),
            List.of("--push=true", "."),
            List.of("--exec-slots", "many", "."),
            List.of("--target"),
            List.of("--build-arg", "-t", "."));
    for (List<String> line : lines) {
      assertFalse(QuickArgs.fill(new BuildCommand(), line), line.toString());
    }
  }

  /** Every option and parameter value of {@code command} and its mixins, in declaration order. */
  private static List<Object> values(BuildCommand command) throws Exception {
    List<Object> values = new ArrayList<>();
    for (Field field : BuildCommand.class.getDeclaredFields()) {
      field.setAccessible(true);
      if (field.isAnnotationPresent(CommandLine.Mixin.class)) {
        Object mixin = field.get(command);
        for (Field inner : mixin.getClass().getDeclaredFields()) {
          if (inner.isAnnotationPresent(CommandLine.Option.class)) {
            inner.setAccessible(true);
            values.add(field.getName() + "." + inner.getName() + "=" + inner.get(mixin));
          }
        }
      } else if (field.isAnnotationPresent(CommandLine.Option.class)
          || field.isAnnotationPresent(CommandLine.Parameters.class)) {
        values.add(field.getName() + "=" + field.get(command));
      }
    }
    return values;
  }
}
