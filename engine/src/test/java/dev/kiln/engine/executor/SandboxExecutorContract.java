package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.CancelledException;
import dev.kiln.engine.run.LogSink;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every executor's sandbox guarantees, run against each ({@link BwrapExecutorTest}, {@link
 * CrunExecutorTest}) with real processes on a real overlay.
 */
abstract class SandboxExecutorContract {
  @TempDir Path tempDir;
  Snapshotter snapshotter;
  Layer busybox;
  Snapshot rootfs;
  Executor executor;
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
    busybox = TestLayers.busybox(snapshotter);
    rootfs = new Snapshot(List.of(busybox));
    executor = newExecutor(snapshotter);
    upper = snapshotter.prepare();
    lines = Collections.synchronizedList(new ArrayList<>());
    context = new RunContext((stream, line) -> lines.add(line), new Cancellation());
  }

  /** The executor under test, for steps in {@code snapshotter}'s root. */
  abstract Executor newExecutor(Snapshotter snapshotter) throws IOException;

  @AfterEach
  void closeExecutor() {
    executor.close();
  }

  /** Prints its effective uid and whether no_new_privs is set. */
  private static final String IDS =
      "#include <stdio.h>\n#include <unistd.h>\n#include <sys/prctl.h>\n"
          + "int main(void) {\n"
          + "  printf(\"euid=%d nnp=%d\\n\", (int) geteuid(), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));\n"
          + "  return 0;\n"
          + "}\n";

  /**
   * What {@code /ids}, a setuid-root program, prints when user 1000 runs it under {@code executor}:
   * its effective uid and whether no_new_privs is set.
   */
  List<String> setuidIds(Executor executor) throws Exception {
    Snapshot withIds =
        new Snapshot(
            List.of(
                busybox,
                StaticProgram.layer(
                    snapshotter,
                    Files.createDirectories(tempDir.resolve("ids")),
                    "ids",
                    IDS,
                    "4755")));
    lines.clear();
    executor.run(withUser(spec("/ids"), "1000"), withIds, snapshotter.prepare(), context);
    return List.copyOf(lines);
  }

  static ExecSpec spec(String... args) {
    return new ExecSpec(List.of(args), List.of(), "/", "", NetworkMode.NONE, SecurityMode.SANDBOX);
  }

  static ExecSpec sh(String script) {
    return spec("sh", "-c", script);
  }

  static ExecSpec withUser(ExecSpec spec, String user) {
    return new ExecSpec(spec.args(), spec.env(), spec.cwd(), user, spec.network(), spec.security());
  }

  void run(ExecSpec spec) throws ExecException {
    executor.run(spec, rootfs, upper, context);
  }

  @Test
  void theStepIsItsOwnPidOneSoNoHostPathShowsInItsInitsCommandLine() throws ExecException {
    run(sh("echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo"));

    assertEquals("1", lines.get(0));
    assertEquals("sh -c echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo ", lines.get(1));
  }

  @Test
  void aStepHasOnlyItsStdioOpenAFreshDevAndDockersCapabilities() throws ExecException {
    run(sh("ls -l /proc/self/fd"));
    // "lr-x------ 1 root root 64 ... 0 -> /dev/null": descriptor and target.
    List<String> descriptors =
        lines.stream()
            .filter(line -> line.contains(" -> "))
            .map(line -> line.replaceAll(".* (\\d+) -> (.*)$", "$1 $2"))
            .toList();
    lines.clear();
    run(sh("ls -A /dev | tr '\\n' ' '; echo; grep CapEff /proc/self/status"));

    assertEquals(
        List.of("0", "1", "2"),
        descriptors.stream().map(d -> d.split(" ")[0]).toList(),
        descriptors.toString());
    assertEquals(
        "core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ",
        lines.get(0));
    // Docker's default set: chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap,
    // net_bind_service, net_raw, sys_chroot, mknod, audit_write, setfcap.
    assertEquals("CapEff:\t00000000a80425fb", lines.get(1));
  }

  @Test
  void outputLinesReachTheLogSink() throws ExecException {
    run(sh("echo hello; echo oops >&2; echo bye"));

    assertEquals(List.of("hello", "oops", "bye"), lines);
  }

  @Test
  void anAttachedProgramTalksOnItsStdioWithAReadOnlyRootAndItsStderrInTheLog() throws Exception {
    List<String> heard = Collections.synchronizedList(new ArrayList<>());
    executor.runAttached(
        sh(
            "read question; echo \"answer to $question\"; touch /x 2>/dev/null || echo read-only"
                + " >&2; touch /tmp/x && echo tmp-writable >&2"),
        rootfs,
        upper,
        context,
        (fromProgram, toProgram) -> {
          toProgram.write("life\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
          toProgram.flush();
          heard.addAll(
              new String(fromProgram.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                  .lines()
                  .toList());
        });

    assertEquals(List.of("answer to life"), heard);
    assertEquals(List.of("read-only", "tmp-writable"), lines);
  }

  @Test
  void aFailedConversationKillsTheProgramAndIsTheRunsFailure() {
    ExecException e =
        assertThrows(
            ExecException.class,
            () ->
                executor.runAttached(
                    sh("sleep 60"),
                    rootfs,
                    upper,
                    context,
                    (fromProgram, toProgram) -> {
                      throw new java.io.IOException("the program spoke nonsense");
                    }));

    assertEquals("the program spoke nonsense", e.getMessage());
  }

  @Test
  void procIsReadOnlySoAStepCannotSetTheHostsCorePattern() throws ExecException {
    // Written back with its own value: were the write allowed, nothing would change on the host.
    run(
        sh(
            "cat /proc/sys/kernel/core_pattern > /tmp/p; { cat /tmp/p >"
                + " /proc/sys/kernel/core_pattern; } 2>/dev/null && echo written || echo refused;"
                + " { echo 1 > /proc/self/oom_score_adj; } 2>/dev/null || echo proc-read-only"));

    assertEquals(List.of("refused", "proc-read-only"), lines);
  }

  @Test
  void hostStateInProcIsMaskedForRootAndOtherUsers() throws ExecException {
    String script = "cat /proc/keys 2>/dev/null | wc -c; ls /proc/acpi 2>/dev/null | wc -l; id -u";
    run(sh(script));
    run(withUser(sh(script), "1000"));

    assertEquals(List.of("0", "0", "0", "0", "0", "1000"), lines);
  }

  @Test
  void seccompRefusesANewUserNamespaceThatCapabilitiesAloneWouldAllow() throws ExecException {
    // unshare(CLONE_NEWUSER) needs no capability: only the filter stops it.
    run(sh("busybox unshare -U true 2>/dev/null && echo unshared || echo refused"));
    run(
        new ExecSpec(
            List.of(
                "sh", "-c", "busybox unshare -U true 2>/dev/null && echo unshared || echo refused"),
            List.of(),
            "/",
            "",
            NetworkMode.NONE,
            SecurityMode.INSECURE));

    assertEquals(List.of("refused", "unshared"), lines);
  }

  @Test
  void callsDockersProfileRefusesFailForAStep() throws ExecException {
    run(
        sh(
            "for call in 'mount -t tmpfs none /tmp' 'umount /proc' 'swapoff -a' 'pivot_root /tmp /tmp'"
                + " 'nsenter -t 1 -m true' 'dmesg'; do busybox $call >/dev/null 2>&1 && echo"
                + " \"$call: done\" || echo refused; done"));

    assertEquals(java.util.Collections.nCopies(6, "refused"), lines);
  }

  @Test
  void noDescriptorOfTheHostReachesAStep() throws ExecException {
    // ls's own directory descriptor is 3; nothing else is open.
    run(sh("ls /proc/self/fd"));

    assertEquals(List.of("0", "1", "2", "3"), lines);
  }

  @Test
  void aStepMayMakeADeviceNodeButNeverOpenIt() throws ExecException {
    // Root in a step has Docker's CAP_MKNOD; were its filesystem not nodev (bwrap) or its devices
    // not confined by a cgroup (crun), a node made for 8:0 would open the host's disk. Tried with
    // the harmless tun device (10:200), which Docker's rules leave out as Kiln's do.
    run(
        sh(
            "mknod /tmp/tun c 10 200 && echo made; { true > /tmp/tun; } 2>/dev/null && echo"
                + " opened; echo fine > /dev/null && echo devnull"));

    assertEquals(List.of("made", "devnull"), lines);
  }

  @Test
  void nonZeroExitFailsWithTheExitCodeAndBuildKitsMessage() {
    ExecException e = assertThrows(ExecException.class, () -> run(sh("echo last words; exit 3")));

    assertEquals(3, e.exitCode());
    assertEquals(
        "process \"sh -c echo last words; exit 3\" did not complete successfully: exit code: 3",
        e.getMessage());
    assertEquals(List.of("last words"), e.lastLines());
  }

  @Test
  void missingExecutableFailsWithNotFoundInTheRootFilesystem() {
    ExecException e = assertThrows(ExecException.class, () -> run(spec("no-such-tool", "x")));

    assertEquals("executable \"no-such-tool\" not found in the root filesystem", e.getMessage());
  }

  @Test
  void cancellationKillsALongRunningStepPromptly() {
    CountDownLatch started = new CountDownLatch(1);
    Cancellation cancellation = new Cancellation();
    RunContext ctx = new RunContext((stream, line) -> started.countDown(), cancellation);
    CompletableFuture<Throwable> outcome =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                executor.run(sh("echo started; sleep 30"), rootfs, upper, ctx);
                return null;
              } catch (Throwable t) {
                return t;
              }
            });

    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          started.await();
          cancellation.cancel();
          assertTrue(outcome.join() instanceof CancelledException, "ended with " + outcome.join());
        });
  }

  @Test
  void aStepReadingStdinSeesItsEnd() throws ExecException {
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> run(sh("cat; echo after-stdin")));
    assertEquals(List.of("after-stdin"), lines);
  }

  @Test
  void alreadyCancelledRunDoesNotStart() {
    context.cancellation().cancel();

    assertThrows(CancelledException.class, () -> run(sh("touch /ran")));
    assertFalse(Files.exists(upper.upper().resolve("ran"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void writesLandInTheUpperDirectoryOnly() throws Exception {
    var lowerBefore = TestLayers.fingerprint(busybox.dir());

    run(sh("echo data > /work/out.txt"));

    assertEquals("data\n", Files.readString(upper.upper().resolve("work/out.txt")));
    assertEquals(lowerBefore, TestLayers.fingerprint(busybox.dir()));
  }

  @Test
  void upperHoldsNoProcOrDevMountPointsAfterTheRun() throws ExecException {
    run(sh("true"));

    assertFalse(Files.exists(upper.upper().resolve("proc"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(upper.upper().resolve("dev"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(upper.work().resolve("x")));
  }

  @Test
  void mountPointIsRemovedAfterTheRun() throws Exception {
    run(sh("true"));

    try (var entries = Files.list(snapshotter.mountsDir())) {
      assertEquals(List.of(), entries.filter(p -> !p.endsWith("empty")).toList());
    }
  }

  @Test
  void scratchRootfsRunsAndReportsTheMissingExecutable() {
    rootfs = Snapshot.SCRATCH;

    ExecException e = assertThrows(ExecException.class, () -> run(spec("/bin/sh", "-c", "true")));

    assertEquals("executable \"/bin/sh\" not found in the root filesystem", e.getMessage());
  }

  @Test
  void stepWithoutPathGetsBuildKitsDefaultPath() throws ExecException {
    run(sh("echo $PATH"));

    assertEquals(List.of(SandboxCommand.DEFAULT_PATH), lines);
  }

  @Test
  void stepEnvironmentIsAppliedOnlyInsideTheSandbox() throws ExecException {
    ExecSpec spec =
        new ExecSpec(
            List.of("sh", "-c", "echo \"$LD_PRELOAD|$GREETING|$HOME\""),
            List.of("LD_PRELOAD=/nonexistent.so", "GREETING=a b; $(x) 'q'"),
            "/",
            "",
            NetworkMode.NONE,
            SecurityMode.SANDBOX);

    run(spec);

    // Host tools (setpriv, bwrap are dynamically linked) would have printed ld.so errors; HOME is
    // the step user's (this rootfs has no passwd entry: /), never the host's.
    assertEquals(List.of("/nonexistent.so|a b; $(x) 'q'|/"), lines);
  }

  @Test
  void workingDirectoryIsApplied() throws ExecException {
    ExecSpec spec =
        new ExecSpec(
            List.of("sh", "-c", "pwd"),
            List.of(),
            "/work",
            "",
            NetworkMode.NONE,
            SecurityMode.SANDBOX);
    run(spec);

    assertEquals(List.of("/work"), lines);
  }

  @Test
  void sandboxNetworkIsRejected() {
    ExecSpec spec =
        new ExecSpec(
            List.of("true"), List.of(), "/", "", NetworkMode.SANDBOX, SecurityMode.SANDBOX);

    ExecException e = assertThrows(ExecException.class, () -> run(spec));

    assertEquals("network mode sandbox is not supported yet", e.getMessage());
  }

  @Test
  void noneNetworkHasOnlyLoopback() throws ExecException {
    run(sh("ls /sys/class/net 2>/dev/null || cat /proc/net/dev | sed 1,2d | cut -d: -f1"));

    assertEquals(List.of("lo"), lines.stream().map(String::strip).toList());
  }

  @Test
  void numericUserAndGroupRunAsThemAndOwnTheFilesTheyCreate() throws Exception {
    run(withUser(sh("id -u; id -g; touch /tmp/mine"), "1000:1000"));

    assertEquals(List.of("1000", "1000"), lines);
    Path mine = upper.upper().resolve("tmp/mine");
    assertEquals(1000, Files.getAttribute(mine, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    assertEquals(1000, Files.getAttribute(mine, "unix:gid", LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void nonRootUserHasNoCapabilities() throws ExecException {
    run(withUser(sh("grep CapEff /proc/self/status"), "1000"));

    assertEquals(List.of("CapEff:\t0000000000000000"), lines);
  }

  @Test
  void rootGetsDockersDefaultCapabilitiesOnly() throws ExecException {
    run(sh("grep CapEff /proc/self/status"));

    // CHOWN..SETFCAP as in Docker's default set; no CAP_SYS_ADMIN (bit 21).
    assertEquals(List.of("CapEff:\t00000000a80425fb"), lines);
  }

  @Test
  void insecureRootGetsAllCapabilities() throws ExecException {
    ExecSpec spec =
        new ExecSpec(
            List.of("sh", "-c", "grep CapEff /proc/self/status"),
            List.of(),
            "/",
            "",
            NetworkMode.NONE,
            SecurityMode.INSECURE);

    run(spec);

    assertEquals(1, lines.size());
    long caps = Long.parseLong(lines.get(0).substring("CapEff:\t".length()), 16);
    assertTrue((caps & (1L << 21)) != 0, "has CAP_SYS_ADMIN: " + lines);
  }

  @Test
  void userNameIsLookedUpInTheRootfsPasswdFile() throws Exception {
    Layer etc =
        TestLayers.files(
            snapshotter,
            java.util.Map.of(
                "etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345::/home/app:/bin/sh\n",
                "etc/group", "root:x:0:\nstaff:x:3456:app\n"));
    rootfs = rootfs.plus(etc);

    run(withUser(sh("id -u; id -g"), "app"));
    run(withUser(sh("id -g"), "app:staff"));
    run(withUser(sh("id -g"), "1234"));

    assertEquals(List.of("1234", "2345", "3456", "2345"), lines);
  }

  @Test
  void unknownUserNameFailsWithDockersMessage() {
    ExecException e = assertThrows(ExecException.class, () -> run(withUser(sh("true"), "nobody")));

    assertEquals("unable to find user nobody: no matching entries in passwd file", e.getMessage());
  }

  @Test
  void isolatedStepChangesNothingButItsUpperDirectory() throws Exception {
    Layer data = TestLayers.files(snapshotter, java.util.Map.of("some-lower-dir/keep", "kept"));
    rootfs = rootfs.plus(data);
    Path outside = Files.writeString(tempDir.resolve("outside.txt"), "host file");
    var busyboxBefore = TestLayers.fingerprint(busybox.dir());
    var dataBefore = TestLayers.fingerprint(data.dir());
    var outsideBefore = TestLayers.fingerprint(tempDir.resolve("outside.txt"));
    String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname"));
    ExecSpec spec =
        new ExecSpec(
            List.of(
                "sh",
                "-c",
                "echo x > /etc/x; rm -rf /some-lower-dir; chown 1234 .;"
                    + " echo evil > /proc/sys/kernel/hostname;"
                    + " echo 3 > /proc/sys/vm/drop_caches;"
                    + " mkdir -p \"$(dirname \"$1\")\"; echo changed > \"$1\";"
                    + " echo done",
                "sh",
                outside.toString()),
            List.of(),
            "/work",
            "",
            NetworkMode.NONE,
            SecurityMode.SANDBOX);

    run(spec);

    assertAll(
        () -> assertTrue(lines.contains("done"), "step ran to its end: " + lines),
        () -> assertEquals(busyboxBefore, TestLayers.fingerprint(busybox.dir())),
        () -> assertEquals(dataBefore, TestLayers.fingerprint(data.dir())),
        () -> assertEquals(outsideBefore, TestLayers.fingerprint(outside)),
        () -> assertEquals(hostname, Files.readString(Path.of("/proc/sys/kernel/hostname"))),
        () -> assertEquals("x\n", Files.readString(upper.upper().resolve("etc/x"))),
        () ->
            assertEquals(
                "changed\n",
                Files.readString(upper.upper().resolve(outside.toString().substring(1)))),
        () ->
            assertTrue(
                dev.kiln.engine.snapshot.OverlayFormat.isWhiteout(
                    upper.upper().resolve("some-lower-dir"))),
        () ->
            assertEquals(
                1234,
                Files.getAttribute(
                    upper.upper().resolve("work"), "unix:uid", LinkOption.NOFOLLOW_LINKS)));
  }

  @Test
  void climbingAboveTheRootStaysInsideTheRootfs() throws Exception {
    run(sh("cd /; cd ..; cd ..; touch escape; cd /work/../../..; touch escape2"));

    assertTrue(Files.exists(upper.upper().resolve("escape")));
    assertTrue(Files.exists(upper.upper().resolve("escape2")));
    for (Path dir = upper.upper().getParent(); dir != null; dir = dir.getParent()) {
      assertFalse(Files.exists(dir.resolve("escape"), LinkOption.NOFOLLOW_LINKS), dir.toString());
    }
    assertFalse(Files.exists(snapshotter.mountsDir().resolve("escape")));
  }

  @Test
  void discardedLogSinkIsFine() throws ExecException {
    executor.run(sh("echo hi"), rootfs, upper, new RunContext(LogSink.DISCARD, new Cancellation()));
  }
}
