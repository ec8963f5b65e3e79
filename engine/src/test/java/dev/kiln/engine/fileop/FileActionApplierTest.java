package dev.kiln.engine.fileop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.graph.Owner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileActionApplierTest {
  @TempDir Path temp;
  private Path rootfs;
  private Path input;

  @BeforeEach
  void roots() throws IOException {
    rootfs = Files.createDirectory(temp.resolve("rootfs"));
    input = Files.createDirectory(temp.resolve("input"));
  }

  private void apply(FileAction action) throws IOException {
    FileActionApplier.apply(action, rootfs, List.of(input), UserLookup.in(rootfs));
  }

  private static FileAction.Copy copy(String src, String dest) {
    return copy(src, dest, false, false, Optional.empty(), List.of(), List.of());
  }

  private static FileAction.Copy copy(
      String src,
      String dest,
      boolean wildcard,
      boolean contentsOnly,
      Optional<Owner> owner,
      List<String> include,
      List<String> exclude) {
    return new FileAction.Copy(
        0,
        src,
        dest,
        owner,
        Optional.empty(),
        true,
        contentsOnly,
        true,
        wildcard,
        false,
        include,
        exclude);
  }

  @Test
  void mkdirWithParentsCreatesTheWholeChainWithTheMode() throws IOException {
    apply(new FileAction.Mkdir("/a/b/c", 0700, true, Optional.empty()));

    assertTrue(Files.isDirectory(rootfs.resolve("a/b/c")));
    assertEquals(0700, PosixMetadata.mode(rootfs.resolve("a/b/c")));
    apply(new FileAction.Mkdir("/a/b/c", 0700, true, Optional.empty())); // existing is fine
  }

  @Test
  void mkdirWithoutParentsNeedsTheParent() {
    IOException e =
        assertThrows(
            IOException.class,
            () -> apply(new FileAction.Mkdir("/a/b", 0755, false, Optional.empty())));
    assertEquals("mkdir /a/b: no such file or directory", e.getMessage());
  }

  @Test
  void mkfileWritesUtf8ContentWithModeAndOwner() throws IOException {
    apply(new FileAction.Mkfile("/hello", 0600, "héllo", Optional.of(new Owner("12", "34"))));

    Path file = rootfs.resolve("hello");
    assertEquals("héllo", Files.readString(file));
    assertEquals(0600, PosixMetadata.mode(file));
    assertEquals(12, Files.getAttribute(file, "unix:uid"));
    assertEquals(34, Files.getAttribute(file, "unix:gid"));
  }

  @Test
  void rmRemovesTreesAndHonoursAllowNotFound() throws IOException {
    Files.createDirectories(rootfs.resolve("d/e"));
    apply(new FileAction.Rm("/d", false, false));
    assertFalse(Files.exists(rootfs.resolve("d")));

    apply(new FileAction.Rm("/d", true, false));
    IOException e =
        assertThrows(IOException.class, () -> apply(new FileAction.Rm("/d", false, false)));
    assertEquals("rm /d: no such file or directory", e.getMessage());
  }

  @Test
  void rmWithWildcardRemovesMatchingEntriesOnly() throws IOException {
    Files.writeString(rootfs.resolve("a.log"), "");
    Files.writeString(rootfs.resolve("b.log"), "");
    Files.writeString(rootfs.resolve("keep.txt"), "");

    apply(new FileAction.Rm("/*.log", false, true));

    assertFalse(Files.exists(rootfs.resolve("a.log")));
    assertFalse(Files.exists(rootfs.resolve("b.log")));
    assertTrue(Files.exists(rootfs.resolve("keep.txt")));
  }

  @Test
  void rmOfASymlinkRemovesTheLinkNotItsTarget() throws IOException {
    Path hostFile = Files.writeString(temp.resolve("host.txt"), "keep");
    Files.createSymbolicLink(rootfs.resolve("link"), hostFile);

    apply(new FileAction.Rm("/link", false, false));

    assertFalse(Files.exists(rootfs.resolve("link"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("keep", Files.readString(hostFile));
  }

  @Test
  void copyOfAMissingSourceFailsLikeBuildKit() {
    IOException e = assertThrows(IOException.class, () -> apply(copy("/nope", "/x")));
    assertEquals("failed to copy: stat /nope: no such file or directory", e.getMessage());
  }

  @Test
  void copyOfAFileKeepsModeMtimeAndContent() throws IOException {
    Path src = Files.writeString(input.resolve("tool"), "bin");
    PosixMetadata.chmod(src, 0751);
    Files.setLastModifiedTime(src, FileTime.fromMillis(1_000_000_000L));

    apply(copy("/tool", "/usr/bin/tool"));

    Path copied = rootfs.resolve("usr/bin/tool");
    assertEquals("bin", Files.readString(copied));
    assertEquals(0751, PosixMetadata.mode(copied));
    assertEquals(FileTime.fromMillis(1_000_000_000L), Files.getLastModifiedTime(copied));
  }

  @Test
  void copyIntoAnExistingDirectoryOrATrailingSlashKeepsTheName() throws IOException {
    Files.writeString(input.resolve("f"), "f");
    Files.createDirectories(rootfs.resolve("existing"));

    apply(copy("/f", "/existing"));
    apply(copy("/f", "/fresh/"));

    assertEquals("f", Files.readString(rootfs.resolve("existing/f")));
    assertEquals("f", Files.readString(rootfs.resolve("fresh/f")));
  }

  @Test
  void copyOfADirectoryCopiesItselfOrOnlyItsContents() throws IOException {
    Files.createDirectories(input.resolve("src/sub"));
    Files.writeString(input.resolve("src/sub/x"), "x");
    Files.createSymbolicLink(input.resolve("src/link"), Path.of("sub/x"));
    Files.createDirectories(rootfs.resolve("app"));

    apply(copy("/src", "/app"));
    apply(copy("/src", "/flat", false, true, Optional.empty(), List.of(), List.of()));

    assertEquals("x", Files.readString(rootfs.resolve("app/src/sub/x")));
    assertEquals(Path.of("sub/x"), Files.readSymbolicLink(rootfs.resolve("app/src/link")));
    assertEquals("x", Files.readString(rootfs.resolve("flat/sub/x")));
  }

  @Test
  void wildcardCopyTakesEveryMatch() throws IOException {
    Files.writeString(input.resolve("a.txt"), "a");
    Files.writeString(input.resolve("b.txt"), "b");
    Files.writeString(input.resolve("c.md"), "c");

    apply(copy("/*.txt", "/out/", true, false, Optional.empty(), List.of(), List.of()));

    assertEquals("a", Files.readString(rootfs.resolve("out/a.txt")));
    assertEquals("b", Files.readString(rootfs.resolve("out/b.txt")));
    assertFalse(Files.exists(rootfs.resolve("out/c.md")));
  }

  @Test
  void includeAndExcludePatternsFilterACopiedDirectory() throws IOException {
    Files.createDirectories(input.resolve("src/gen"));
    Files.writeString(input.resolve("src/a.java"), "a");
    Files.writeString(input.resolve("src/gen/b.java"), "b");
    Files.writeString(input.resolve("src/notes.txt"), "n");

    apply(
        copy("/src", "/out", false, true, Optional.empty(), List.of("**/*.java"), List.of("gen")));

    assertTrue(Files.exists(rootfs.resolve("out/a.java")));
    assertFalse(Files.exists(rootfs.resolve("out/gen")));
    assertFalse(Files.exists(rootfs.resolve("out/notes.txt")));
  }

  @Test
  void chownByNameUsesTheRootfsPasswdAndGroupFiles() throws IOException {
    Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(
        rootfs.resolve("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\napp:x:1500:1600::/home/app:/bin/sh\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nstaff:x:50:\n");
    Files.createDirectories(input.resolve("d"));
    Files.writeString(input.resolve("d/f"), "f");

    apply(
        copy(
            "/d", "/owned", false, false, Optional.of(new Owner("app", "")), List.of(), List.of()));
    apply(
        copy(
            "/d/f",
            "/staff-f",
            false,
            false,
            Optional.of(new Owner("app", "staff")),
            List.of(),
            List.of()));

    assertEquals(1500, Files.getAttribute(rootfs.resolve("owned/f"), "unix:uid"));
    assertEquals(1600, Files.getAttribute(rootfs.resolve("owned/f"), "unix:gid"));
    assertEquals(1500, Files.getAttribute(rootfs.resolve("owned"), "unix:uid"));
    assertEquals(50, Files.getAttribute(rootfs.resolve("staff-f"), "unix:gid"));
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                apply(
                    copy(
                        "/d/f",
                        "/x",
                        false,
                        false,
                        Optional.of(new Owner("ghost", "")),
                        List.of(),
                        List.of())));
    assertTrue(e.getMessage().contains("unable to find user ghost"), e.getMessage());
  }

  @Test
  void aRootfsSymlinkToTheHostCannotRedirectWrites() throws IOException {
    Path host = Files.createDirectory(temp.resolve("host"));
    Files.createSymbolicLink(rootfs.resolve("etc"), host);
    Files.writeString(input.resolve("passwd"), "evil");

    apply(copy("/passwd", "/etc/passwd"));
    apply(new FileAction.Mkfile("/etc/shadow", 0600, "evil", Optional.empty()));
    apply(new FileAction.Mkdir("/etc/sub", 0755, true, Optional.empty()));

    try (var entries = Files.list(host)) {
      assertEquals(0, entries.count());
    }
    assertEquals(
        "evil", Files.readString(rootfs.resolve(host.toString().substring(1) + "/passwd")));
  }

  @Test
  void aSourceSymlinkCannotReadFromTheHost() throws IOException {
    Files.writeString(temp.resolve("secret"), "secret");
    Files.createSymbolicLink(input.resolve("s"), temp.resolve("secret"));

    IOException e = assertThrows(IOException.class, () -> apply(copy("/s", "/out")));
    assertTrue(e.getMessage().startsWith("failed to copy: stat /s"), e.getMessage());
  }

  @Test
  void aCopyLinksUnchangedFilesAndALaterWriteNeverReachesTheSource() throws IOException {
    Files.writeString(input.resolve("shared.txt"), "from the layer\n");
    FileActionApplier.apply(
        copy("/shared.txt", "/shared.txt"),
        rootfs,
        List.of(input),
        LinkSource.SOURCE_IF_UNCHANGED,
        UserLookup.in(rootfs));
    assertTrue(Files.isSameFile(input.resolve("shared.txt"), rootfs.resolve("shared.txt")));

    apply(new FileAction.Mkfile("/shared.txt", 0644, "rewritten\n", Optional.empty()));

    assertEquals("rewritten\n", Files.readString(rootfs.resolve("shared.txt")));
    assertEquals("from the layer\n", Files.readString(input.resolve("shared.txt")));
  }

  @Test
  void aCopyThatChangesTheModeCopiesRatherThanLinks() throws IOException {
    Files.writeString(input.resolve("tool"), "#!/bin/sh\n");
    FileAction.Copy chmod =
        new FileAction.Copy(
            0,
            "/tool",
            "/tool",
            Optional.empty(),
            Optional.of(0755),
            true,
            false,
            true,
            false,
            false,
            List.of(),
            List.of());
    FileActionApplier.apply(
        chmod, rootfs, List.of(input), LinkSource.SOURCE_IF_UNCHANGED, UserLookup.in(rootfs));
    assertFalse(Files.isSameFile(input.resolve("tool"), rootfs.resolve("tool")));
    assertEquals(0755, PosixMetadata.mode(rootfs.resolve("tool")));
    assertEquals(0644, PosixMetadata.mode(input.resolve("tool")) & 0777);
  }
}
