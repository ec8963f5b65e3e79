package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.CacheSharing;
import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of extra mount, through real bwrap steps on real overlays. */
class SandboxMountsTest {
  @TempDir Path tempDir;
  Snapshotter snapshotter;
  Snapshot rootfs;
  Snapshot data;
  BwrapExecutor executor;
  ActiveLayer upper;
  List<String> lines;
  RunContext context;

  @BeforeAll
  static void hostHasTheTools() throws ExecException {
    BwrapExecutor.probe();
  }

  @BeforeEach
  void setUp() throws IOException {
    snapshotter = TestLayers.snapshotter(tempDir);
    rootfs = new Snapshot(List.of(TestLayers.busybox(snapshotter)));
    data =
        new Snapshot(
            List.of(
                TestLayers.files(snapshotter, Map.of("src/a.txt", "alpha\n", "top.txt", "top\n"))));
    executor = new BwrapExecutor(snapshotter);
    upper = snapshotter.prepare();
    lines = Collections.synchronizedList(new ArrayList<>());
    context = new RunContext((stream, line) -> lines.add(line), new Cancellation());
  }

  void run(String script, ExecMount... mounts) throws ExecException {
    executor.run(spec(script, mounts), rootfs, upper, context);
  }

  static ExecSpec spec(String script, ExecMount... mounts) {
    return new ExecSpec(
        List.of("sh", "-c", script),
        List.of(),
        "/",
        "",
        NetworkMode.NONE,
        SecurityMode.SANDBOX,
        List.of(mounts));
  }

  private boolean inLayer(String path) {
    return Files.exists(upper.upper().resolve(path), LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void readOnlyBindShowsTheSelectedDirectoryAndRefusesWrites() throws ExecException {
    run(
        "cat /mnt/data/a.txt; touch /mnt/data/new 2>/dev/null && echo wrote || echo refused",
        new ExecMount.Bind("/mnt/data", data, "/src", true));
    assertEquals(List.of("alpha", "refused"), lines);
    assertFalse(inLayer("mnt"), "mount points the step did not have stay out of its layer");
  }

  @Test
  void writableBindAcceptsWritesAndDropsThem() throws Exception {
    run("echo changed > /m/top.txt && cat /m/top.txt", new ExecMount.Bind("/m", data, "", false));
    assertEquals(List.of("changed"), lines);
    assertFalse(inLayer("m"));
    // The source snapshot is untouched: a second step sees the original.
    lines.clear();
    run("cat /m/top.txt", new ExecMount.Bind("/m", data, "", true));
    assertEquals(List.of("top"), lines);
  }

  @Test
  void bindOfASingleFileMountsAFile() throws ExecException {
    run("cat /etc/a.txt", new ExecMount.Bind("/etc/a.txt", data, "/src/a.txt", true));
    assertEquals(List.of("alpha"), lines);
    assertFalse(inLayer("etc/a.txt"));
  }

  @Test
  void missingBindSourceIsAClearError() {
    ExecException e =
        assertThrows(
            ExecException.class, () -> run("true", new ExecMount.Bind("/m", data, "/nope", true)));
    assertEquals("bind mount source /nope does not exist", e.getMessage());
  }

  @Test
  void aBindSourceThroughLinksIsResolvedInsideItsSnapshot() throws Exception {
    ActiveLayer links = snapshotter.prepare();
    Files.createDirectories(links.upper().resolve("src"));
    Files.writeString(links.upper().resolve("src/a.txt"), "inside\n");
    // On the host these would lead to the host's /src or out of the layer's directory.
    Files.createSymbolicLink(links.upper().resolve("abs"), Path.of("/src"));
    Files.createSymbolicLink(links.upper().resolve("rel"), Path.of("../../../../../../src"));
    Snapshot linked = new Snapshot(List.of(snapshotter.commit(links)));

    run(
        "cat /a/a.txt /r/a.txt",
        new ExecMount.Bind("/a", linked, "/abs", true),
        new ExecMount.Bind("/r", linked, "/rel", true));

    assertEquals(List.of("inside", "inside"), lines);
  }

  @Test
  void mountPointsBehindALinkTheStepMadeAreLeftAlone() throws Exception {
    // Removing /a/dir after the step would otherwise follow its link to the host's empty entries.
    Path host = Files.createDirectories(tempDir.resolve("host"));
    Files.createDirectory(host.resolve("dir"));
    Files.createFile(host.resolve("file"));

    run(
        "mv /a /a2 && ln -s " + host + " /a && mv /b /b2 && ln -s " + host + " /b",
        new ExecMount.Tmpfs("/a/dir", Optional.empty()),
        new ExecMount.SecretFile("/b/file", new byte[] {'s'}, 0400, 0, 0));

    assertTrue(Files.isDirectory(host.resolve("dir")));
    assertTrue(Files.isRegularFile(host.resolve("file")));
  }

  @Test
  void tmpfsIsEmptyWritableAndNotInTheLayer() throws ExecException {
    run(
        "ls -A /scratch; echo x > /scratch/f && cat /scratch/f",
        new ExecMount.Tmpfs("/scratch", Optional.of(1L << 20)));
    assertEquals(List.of("x"), lines);
    assertFalse(inLayer("scratch"));
  }

  @Test
  void writesBesideAMountPointStayInTheLayer() throws ExecException {
    run("echo kept > /work/kept", new ExecMount.Tmpfs("/work/tmp", Optional.empty()));
    assertTrue(inLayer("work/kept"));
    assertFalse(inLayer("work/tmp"));
  }

  @Test
  void cacheDirectoryKeepsItsContentsAcrossStepsButNotInTheLayer() throws ExecException {
    ExecMount.Cache cache =
        new ExecMount.Cache("/cache", "go-build", CacheSharing.SHARED, 0755, 0, 0);
    run("echo one >> /cache/log", cache);
    assertFalse(inLayer("cache"));
    run("echo two >> /cache/log; cat /cache/log", cache);
    assertEquals(List.of("one", "two"), lines);
    assertFalse(inLayer("cache"));
  }

  @Test
  void cacheDirectoryIsCreatedWithTheGivenOwnerAndMode() throws Exception {
    run(
        "ls -ln / | grep ' c$'",
        new ExecMount.Cache("/c", "owned", CacheSharing.SHARED, 0700, 1000, 1000));
    String line = lines.get(0);
    assertTrue(line.startsWith("drwx------"), line);
    assertTrue(line.matches("\\S+\\s+\\d+\\s+1000\\s+1000\\s.*"), line);
  }

  @Test
  void privateCacheGetsAnotherDirectoryWhileTheSharedOneIsInUse() throws Exception {
    CacheMounts caches = new CacheMounts(tempDir.resolve("caches"));
    ExecMount.Cache shared = new ExecMount.Cache("/c", "id", CacheSharing.SHARED, 0755, 0, 0);
    ExecMount.Cache priv = new ExecMount.Cache("/c", "id", CacheSharing.PRIVATE, 0755, 0, 0);
    Cancellation never = new Cancellation();
    try (CacheMounts.Lease first = caches.acquire(shared, never);
        CacheMounts.Lease second = caches.acquire(priv, never)) {
      assertFalse(first.path().equals(second.path()));
    }
    try (CacheMounts.Lease alone = caches.acquire(priv, never)) {
      assertEquals(tempDir.resolve("caches").resolve(CacheMounts.sha256("id")), alone.path());
    }
  }

  @Test
  void lockedCacheMakesASecondStepWaitForTheFirst() throws Exception {
    CacheMounts caches = new CacheMounts(tempDir.resolve("caches"));
    ExecMount.Cache locked = new ExecMount.Cache("/c", "id", CacheSharing.LOCKED, 0755, 0, 0);
    Cancellation never = new Cancellation();
    CacheMounts.Lease first = caches.acquire(locked, never);
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<Path> second =
        CompletableFuture.supplyAsync(
            () -> {
              started.countDown();
              try (CacheMounts.Lease lease = caches.acquire(locked, never)) {
                return lease.path();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertTrue(started.await(10, TimeUnit.SECONDS));
    assertFalse(second.isDone(), "the second step waits while the first holds the lock");
    first.close();
    assertEquals(first.path(), second.get(10, TimeUnit.SECONDS));
  }

  @Test
  void secretIsAReadOnlyFileWithItsModeAndIsRemovedAfterwards() throws Exception {
    byte[] secret = "s3cr3t".getBytes(StandardCharsets.UTF_8);
    run(
        "cat /run/secrets/token; echo; ls -ln /run/secrets/token;"
            + " { echo x > /run/secrets/token; } 2>/dev/null || echo refused",
        new ExecMount.SecretFile("/run/secrets/token", secret, 0400, 0, 0));
    assertEquals("s3cr3t", lines.get(0));
    assertTrue(lines.get(1).startsWith("-r--------"), lines.get(1));
    assertEquals("refused", lines.get(2));
    assertFalse(inLayer("run"));
    try (var entries = Files.list(snapshotter.mountsDir())) {
      assertTrue(entries.noneMatch(p -> Files.exists(p.resolve("secret"))));
    }
  }

  @Test
  void mountDestinationsThroughSymlinksLandInsideTheRootFilesystem() throws Exception {
    run("mkdir /real && ln -s /../../../real /escape && ln -s real /rel");
    rootfs = rootfs.plus(snapshotter.commit(upper));
    upper = snapshotter.prepare();
    lines.clear();
    run(
        "ls /real; cat /real/b/top.txt",
        new ExecMount.Tmpfs("/escape/a", Optional.empty()),
        new ExecMount.Bind("/rel/b", data, "", true));
    assertEquals(List.of("a", "b", "top"), lines);
    assertFalse(Files.exists(Path.of("/real/a")), "nothing is mounted on the host's /real");
    assertFalse(inLayer("real/a"), "mount points made below a link are removed too");
  }

  @Test
  void mountDestinationBelowAFileIsRefused() {
    ExecException e =
        assertThrows(
            ExecException.class,
            () -> run("true", new ExecMount.Tmpfs("/bin/sh/x", Optional.empty())));
    assertTrue(e.getMessage().contains("a parent is not a directory"), e.getMessage());
  }
}
