package dev.kiln.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootLockTest {
  @TempDir Path root;

  @Test
  void aSecondHolderIsToldWhoHoldsTheRootAndWhatToDo() throws IOException {
    long pid = ProcessHandle.current().pid();
    try (RootLock held = RootLock.take(root, "wait for it")) {
      assertTrue(Files.readString(root.resolve("lock")).startsWith("pid " + pid + ": "));
      IOException second =
          assertThrows(IOException.class, () -> RootLock.take(root, "wait for it"));
      assertTrue(
          second.getMessage().startsWith("another kiln process (pid " + pid + ": "),
          second.getMessage());
      assertTrue(second.getMessage().endsWith(" is using " + root + "; wait for it"));
    }
    // Released: the next holder takes it, and a stale description is replaced by its own.
    Files.writeString(root.resolve("lock"), "pid 1: an older kiln, with a longer line than ours");
    try (RootLock again = RootLock.take(root, "wait for it")) {
      assertEquals(
          RootLock.describe(ProcessHandle.current()), Files.readString(root.resolve("lock")));
    }
  }

  @Test
  void aLockFileThatNamesNoHolderIsNotQuoted() throws IOException {
    try (RootLock held = RootLock.take(root, "wait")) {
      Files.writeString(root.resolve("lock"), "garbage\u0000\n");
      IOException second = assertThrows(IOException.class, () -> RootLock.take(root, "wait"));
      assertEquals("another kiln process is using " + root + "; wait", second.getMessage());
    }
  }

  @Test
  void twoEnginesOnOneRootTheSecondIsRefusedNamingTheFirst() throws IOException {
    try (Engine first = Engine.start(EngineConfig.at(root))) {
      IOException second =
          assertThrows(IOException.class, () -> Engine.start(EngineConfig.at(root)));
      assertTrue(
          second
              .getMessage()
              .matches(
                  "another kiln process \\(pid "
                      + ProcessHandle.current().pid()
                      + ": .*\\) is using .*; wait for it or pass another --root"),
          second.getMessage());
    }
    Engine.start(EngineConfig.at(root)).close();
  }
}
