package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.graph.Owner;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.SnapshotterMode;
import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real builds on busybox: real processes, real snapshots, real exports; run once per snapshotter by
 * the subclasses.
 */
abstract class EndToEndScenarios {
  @TempDir Path temp;
  EngineFixture kiln;
  State busybox;

  @BeforeEach
  void start() throws Exception {
    Files.createDirectories(temp.resolve("context/src"));
    Files.writeString(temp.resolve("context/src/app.txt"), "app\n");
    Files.writeString(temp.resolve("context/notes.md"), "not copied\n");
    kiln =
        new EngineFixture(
            new EngineConfig(
                temp.resolve("root"),
                0,
                Map.of("context", temp.resolve("context")),
                Optional.of(mode())));
    busybox = State.source(BusyboxLayout.identifier());
  }

  /** The snapshotter under test. */
  abstract SnapshotterMode mode();

  @AfterEach
  void stop() throws Exception {
    kiln.close();
  }

  @Test
  void branchesRunInParallelAndTheirMergeHoldsBothFiles() throws Exception {
    State left = busybox.run("sh", "-c", "echo left > /left.txt");
    State right = busybox.run("sh", "-c", "echo right > /right.txt");
    var build = kiln.solve(State.merge(left, right).definition());
    Path out = kiln.exportTo(build, temp.resolve("out"));
    assertEquals("left\n", Files.readString(out.resolve("left.txt")));
    assertEquals("right\n", Files.readString(out.resolve("right.txt")));
    assertTrue(Files.isRegularFile(out.resolve("bin/busybox")));
  }

  @Test
  void theSameGraphSolvedTwiceRunsNothingTheSecondTime() throws Exception {
    Definition definition = busybox.run("sh", "-c", "date +%N > /stamp").definition();
    var first = kiln.solve(definition);
    var second = kiln.solve(definition);
    assertEquals(1, first.count(ProgressEvent.VertexStarted.class) - 1);
    assertEquals(0, second.count(ProgressEvent.VertexStarted.class));
    assertEquals(
        Files.readString(kiln.exportTo(first, temp.resolve("a")).resolve("stamp")),
        Files.readString(kiln.exportTo(second, temp.resolve("b")).resolve("stamp")));
  }

  @Test
  void theSameImageAtAnotherPathHitsTheCache() throws Exception {
    Path copy = temp.resolve("elsewhere/busybox");
    Files.createDirectories(copy.getParent());
    new ProcessBuilder("cp", "-a", BusyboxLayout.path().toString(), copy.toString())
        .inheritIO()
        .start()
        .waitFor();
    kiln.solve(busybox.run("sh", "-c", "echo hi > /hi").definition());
    State moved = State.source("oci-layout://" + copy + ":latest");
    var again = kiln.solve(moved.run("sh", "-c", "echo hi > /hi").definition());
    assertEquals(0, again.count(ProgressEvent.VertexStarted.class));
    assertEquals(2, again.count(ProgressEvent.VertexCached.class));
  }

  @Test
  void aStepCannotChangeTheHostOrLowerLayers() throws Exception {
    Path hostMarker = temp.resolve("host-marker");
    Files.writeString(hostMarker, "untouched");
    String script =
        String.join(
            "; ",
            "cd /; cd ../../../..; touch escaped-by-dotdot",
            "echo changed > " + hostMarker + " 2>/dev/null",
            "rm -f /etc/passwd",
            "mkdir -p /work && cd /work && chown 1234:1234 .",
            "echo x > /proc/sys/kernel/hostname 2>/dev/null || true",
            "true");
    var build = kiln.solve(busybox.run("sh", "-c", script).definition());
    Path out = kiln.exportTo(build, temp.resolve("out"));
    assertEquals("untouched", Files.readString(hostMarker));
    assertFalse(Files.exists(Path.of("/escaped-by-dotdot")));
    assertTrue(Files.exists(out.resolve("escaped-by-dotdot")), "the write landed in the rootfs");
    assertFalse(Files.exists(out.resolve("etc/passwd")), "deleted in the result");
    assertEquals(1234, Files.getAttribute(out.resolve("work"), "unix:uid"));
    // The base layer still has /etc/passwd: deletion is a whiteout in the step's own layer.
    Layer base = build.snapshot().layers().get(0);
    assertTrue(Files.exists(base.dir().resolve("etc/passwd")));
    Layer step = build.snapshot().layers().get(1);
    assertTrue(Files.exists(step.dir().resolve("etc/passwd"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aStepsHostnameStaysInItsOwnNamespace() throws Exception {
    String before = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    var build =
        kiln.solve(
            busybox
                .run("sh", "-c", "(hostname kiln-step-test 2>/dev/null || true); hostname > /seen")
                .definition());
    Path out = kiln.exportTo(build, temp.resolve("out"));
    assertFalse(Files.readString(out.resolve("seen")).isBlank());
    assertEquals(before, Files.readString(Path.of("/proc/sys/kernel/hostname")).trim());
  }

  @Test
  void fileOpsBuildOnLocalSourcesAndImages() throws Exception {
    State context = State.local("context", List.of("src/**"), List.of());
    State files =
        busybox.file(
            List.of(
                new FileAction.Mkdir(
                    "/app/data", 0755, true, Optional.of(new Owner("1000", "1000"))),
                new FileAction.Mkfile("/app/config", 0600, "key=value\n", Optional.empty()),
                FileAction.Copy.of(1, "/src", "/app/"),
                new FileAction.Rm("/bin/vi", false, false)),
            context);
    State checked = files.run("sh", "-c", "cat /app/app.txt /app/config > /app/seen");
    Path out = kiln.exportTo(kiln.solve(checked.definition()), temp.resolve("out"));
    assertEquals("app\nkey=value\n", Files.readString(out.resolve("app/seen")));
    assertEquals(1000, Files.getAttribute(out.resolve("app/data"), "unix:uid"));
    assertFalse(Files.exists(out.resolve("notes.md")));
    assertFalse(Files.exists(out.resolve("bin/vi"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void editingAFileThatIsNotSelectedKeepsTheCache() throws Exception {
    Definition definition =
        State.merge(busybox, State.local("context", List.of("src/**"), List.of()))
            .run("cat", "/src/app.txt")
            .definition();
    kiln.solve(definition);
    Files.writeString(temp.resolve("context/notes.md"), "edited\n");
    assertEquals(0, kiln.solve(definition).count(ProgressEvent.VertexStarted.class));
    Files.writeString(temp.resolve("context/src/app.txt"), "edited\n");
    assertTrue(kiln.solve(definition).count(ProgressEvent.VertexStarted.class) >= 1);
  }

  @Test
  void aFailingStepNamesItselfItsCommandAndItsLastOutput() throws Exception {
    var build =
        kiln.solve(
            busybox
                .run("sh", "-c", "echo preparing; echo about to fail >&2; exit 3")
                .describe("[stage 1/1] RUN exit 3")
                .definition());
    String error = build.error();
    assertTrue(error.contains("[stage 1/1] RUN exit 3"), error);
    assertTrue(
        error.contains(
            "process \"sh -c echo preparing; echo about to fail >&2; exit 3\" did not complete successfully: exit code: 3"),
        error);
    assertTrue(error.contains("about to fail"), error);
    assertNoActiveLayersLeft();
  }

  @Test
  void aMissingCommandSaysSo() throws Exception {
    String error = kiln.solve(busybox.run("no-such-tool", "--version").definition()).error();
    assertTrue(error.contains("\"no-such-tool\" not found"), error);
    assertNoActiveLayersLeft();
    // The store is still usable: a good build after the failures works.
    var build = kiln.solve(busybox.run("sh", "-c", "echo ok > /ok").definition());
    assertEquals("ok\n", Files.readString(kiln.exportTo(build, temp.resolve("out")).resolve("ok")));
  }

  private void assertNoActiveLayersLeft() throws Exception {
    try (Stream<Path> entries = Files.list(kiln.root.resolve("snapshots"))) {
      assertEquals(
          List.of(),
          entries.filter(p -> p.getFileName().toString().startsWith("active-")).toList());
    }
  }
}
