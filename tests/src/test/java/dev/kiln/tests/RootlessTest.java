package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.testing.HostProcesses;
import dev.kiln.engine.testing.RegistryServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kiln as an unprivileged user (issue 10): the users made by {@code scripts/test-users.sh} run the
 * checkout's {@code kiln} command, which enters a user namespace of its own, and get what root
 * gets: the seed example pushed to a real registry, chown and USER steps, image archives, all byte
 * for byte (SOURCE_DATE_EPOCH=0). Without subordinate ids Kiln warns once and still builds.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RootlessTest {
  private static final String USER = "kiln-rootless";
  private static final String SINGLE = "kiln-single";
  private static final Pattern EXPORTED = Pattern.compile("exported image (sha256:[0-9a-f]{64})");
  private static final Path EXAMPLES = KilnAs.CHECKOUT.resolveSibling("examples");

  static RegistryServer registry;
  static Path dir;
  static KilnAs root;
  static KilnAs user;
  static KilnAs single;

  @BeforeAll
  static void start() throws Exception {
    for (String name : List.of(USER, SINGLE)) {
      assertTrue(KilnAs.exists(name), name + " is missing: run scripts/test-users.sh as root");
    }
    registry = RegistryServer.start();
    // Not a JUnit temporary directory: those are private to root, and the users must reach it.
    dir = Files.createTempDirectory("kiln-rootless-test-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(
        config.resolve("registries.json"),
        "{\"hosts\": {\"docker.io\": {\"mirrors\": [\"" + registry.host() + "\"]}}}\n");
    Map<String, String> env = Map.of("KILN_CONFIG", config.toString(), "SOURCE_DATE_EPOCH", "0");
    Path launcher = KilnAs.copyLauncher(Files.createDirectories(dir.resolve("kiln")));
    root = KilnAs.root(launcher, dir.resolve("home-root"), env);
    user = KilnAs.user(launcher, USER, dir.resolve("home-user"), env);
    single = KilnAs.user(launcher, SINGLE, dir.resolve("home-single"), env);
    // busybox, built by root from Debian's busybox-static, serves every FROM busybox below.
    KilnAs.Result busybox =
        root.kiln(
            "build",
            "--progress",
            "plain",
            "--build-context",
            "bin=/bin",
            "-t",
            registry.host() + "/library/busybox",
            "--push",
            EXAMPLES.resolve("busybox").toString());
    assertEquals(0, busybox.exit(), busybox.output());
  }

  @AfterAll
  static void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
    if (dir != null) {
      FileTrees.deleteRecursively(dir);
    }
  }

  private static Path context(String name, String dockerfile) throws Exception {
    Path context = Files.createDirectories(dir.resolve(name));
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    return context;
  }

  private static String exported(KilnAs.Result run) {
    Matcher m = EXPORTED.matcher(run.output());
    assertTrue(m.find(), run.output());
    return m.group(1);
  }

  private static KilnAs.Result run(KilnAs as, String... args) {
    try {
      return as.kiln(args);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void theSeedExamplePushesTheSameImageAsRootAndAsAUser() throws Exception {
    // A copy the user can reach, as the checkout may lie under a directory private to root.
    Path copy = Files.createDirectories(dir.resolve("seed"));
    Files.copy(EXAMPLES.resolve("seed/Dockerfile"), copy.resolve("Dockerfile"));
    String seed = copy.toString();
    // At the same time: the seed's two stages sleep 10 and 15 s.
    CompletableFuture<KilnAs.Result> asRoot =
        CompletableFuture.supplyAsync(
            () -> run(root, "build", "-t", registry.host() + "/seed-root", "--push", seed));
    KilnAs.Result asUser = run(user, "build", "-t", registry.host() + "/seed-user", "--push", seed);
    List<KilnAs.Result> runs = List.of(asRoot.join(), asUser);

    for (KilnAs.Result run : runs) {
      assertEquals(0, run.exit(), run.output());
    }
    assertEquals(exported(runs.get(0)), exported(runs.get(1)), "the same image both ways");
    String pushed =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(
                tool(
                    "skopeo",
                    "inspect",
                    "--tls-verify=false",
                    "docker://" + registry.host() + "/seed-user"))
            .path("Digest")
            .asText();
    assertEquals(exported(runs.get(1)), pushed, "the registry serves what the user pushed");
    assertTrue(runs.get(1).output().contains("snapshotter overlay"), runs.get(1).output());
  }

  @Test
  void chownAndUserStepsKeepTheirOwnersInTheSameArchiveAsRoots() throws Exception {
    Path context =
        context(
            "owners",
            "FROM busybox\n"
                + "RUN mkdir /data && chown 1000:1000 /data\n"
                + "USER 1000:1000\n"
                + "RUN id -u > /data/uid && touch /data/made-by-user\n"
                + "USER root\n"
                + "RUN touch /data/given && chown 1234:5678 /data/given\n");
    Files.setPosixFilePermissions(context, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path out = Files.createDirectories(dir.resolve("owners-out"));
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));

    KilnAs.Result asRoot =
        root.kiln(
            "build", "--output", "type=oci,dest=" + out.resolve("root.tar"), context.toString());
    KilnAs.Result asUser =
        user.kiln(
            "build", "--output", "type=oci,dest=" + out.resolve("user.tar"), context.toString());
    KilnAs.Result tree =
        user.kiln(
            "build", "--output", "type=tar,dest=" + out.resolve("tree.tar"), context.toString());

    assertEquals(0, asRoot.exit(), asRoot.output());
    assertEquals(0, asUser.exit(), asUser.output());
    assertEquals(0, tree.exit(), tree.output());
    assertEquals(digest(out.resolve("root.tar")), digest(out.resolve("user.tar")), "byte for byte");
    Map<String, String> owners = owners(out.resolve("tree.tar"));
    assertEquals("1000:1000", owners.get("data/"), owners.toString());
    assertEquals("1000:1000", owners.get("data/made-by-user"), owners.toString());
    assertEquals("1234:5678", owners.get("data/given"), owners.toString());
  }

  /**
   * Rootless Kiln may make no cgroup here, so a process limit is RLIMIT_NPROC (through prlimit),
   * which counts all of the user's processes: the bomb still fails its step and ends with it.
   */
  @Test
  void aForkBombFailsItsStepThroughTheUsersProcessLimit() throws Exception {
    Path bomb = context("bomb", ForkBombTest.BOMB);
    KilnAs limited =
        new KilnAs(
            user.launcher(),
            user.user(),
            user.home(),
            Map.of("KILN_CONFIG", dir.resolve("config").toString(), "KILN_STEP_PIDS", "200"));

    KilnAs.Result bombed = limited.kiln("build", "--progress", "plain", bomb.toString());
    KilnAs.Result after =
        limited.kiln(
            "build",
            "--progress",
            "plain",
            context("after-bomb", "FROM busybox\nRUN true\n").toString());

    assertEquals(1, bombed.exit(), bombed.output());
    assertTrue(bombed.output().contains("can't fork"), bombed.output());
    assertEquals(0, after.exit(), after.output());
    String uid = tool("id", "-u", USER).strip();
    assertEquals(
        List.of(),
        HostProcesses.withArgv("sleep 600").stream()
            .filter(
                p ->
                    p.info().user().orElse("").equals(USER)
                        || p.info().user().orElse("").equals(uid))
            .toList(),
        "nothing the bomb started outlives its step");
  }

  @Test
  void withoutSubordinateIdsKilnWarnsOnceBuildsAndRefusesOnlyChown() throws Exception {
    Path context =
        context(
            "single",
            "FROM busybox\nRUN mkdir -m 777 /data\nUSER 1000:1000\nRUN id -u > /data/uid\n");
    Path chown = context("single-chown", "FROM busybox\nRUN touch /f && chown 1000 /f\n");

    Path out = Files.createDirectories(dir.resolve("single-out"));
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
    KilnAs.Result built =
        single.kiln(
            "build", "--output", "type=local,dest=" + out.resolve("fs"), context.toString());
    KilnAs.Result refused = single.kiln("build", "--progress", "plain", chown.toString());
    KilnAs.Result info = single.kiln("info");

    assertEquals(0, built.exit(), built.output());
    String warning = "warning: rootless without subordinate ids (no range for kiln-single";
    assertEquals(1, built.output().split(Pattern.quote(warning), -1).length - 1, built.output());
    assertTrue(built.output().contains("usermod --add-subuids"), built.output());
    assertEquals(
        "1000\n", Files.readString(out.resolve("fs/data/uid")), "USER steps run as their uid");
    assertEquals(1, refused.exit(), refused.output());
    assertTrue(refused.output().contains("chown 1000 /f"), refused.output());
    assertTrue(refused.output().contains("Invalid argument"), refused.output());
    assertTrue(
        info.output().contains("rootless (a user namespace with the user's id alone)"),
        info.output());
    assertTrue(
        info.output().contains("bwrap (no_new_privs on: setuid binaries gain nothing)"),
        info.output());
  }

  @Test
  void aUsersDaemonListensInItsRuntimeDirectoryAndBuildsForItsClients() throws Exception {
    Path runtime = Files.createDirectories(dir.resolve("home-user/run"));
    KilnAs.user(user.launcher(), USER, runtime, Map.of()); // gives the directory to the user
    KilnAs withRuntime =
        new KilnAs(
            user.launcher(),
            user.user(),
            user.home(),
            Map.of(
                "XDG_RUNTIME_DIR",
                runtime.toString(),
                "KILN_CONFIG",
                dir.resolve("config").toString()));
    Path context =
        context(
            "daemon-build",
            "FROM busybox\nRUN mkdir /owned && chown 1000:1000 /owned && stat -c %u /owned\n");
    Path socket = runtime.resolve("kiln/kiln.sock");

    try (DaemonProcess daemon = DaemonProcess.launch(withRuntime.command("daemon"))) {
      KilnAs.Result built =
          withRuntime.kiln(
              "build", "--addr", "unix://" + socket, "--progress", "plain", context.toString());

      assertEquals("unix://" + socket, daemon.address());
      assertEquals(0, built.exit(), built.output());
      assertTrue(built.output().contains("1000"), built.output());
      assertEquals(
          tool("id", "-u", USER).strip(),
          Files.getAttribute(socket, "unix:uid").toString(),
          "the socket is the user's");
    }
  }

  @Test
  void infoSaysHowKilnRunsForEachUser() throws Exception {
    KilnAs.Result asRoot = root.kiln("info");
    KilnAs.Result asUser = user.kiln("info", "--format", "json");

    assertEquals(0, asRoot.exit(), asRoot.output());
    assertTrue(asRoot.output().contains("rootful (root on the host)"), asRoot.output());
    assertTrue(asRoot.output().contains("Storage root: /var/lib/kiln"), asRoot.output());
    // no_new_privs off by default: crun, a root's steps kept from devices by a cgroup.
    assertTrue(
        asRoot.output().contains("no_new_privs off: setuid binaries work; devices cgroup"),
        asRoot.output());
    assertEquals(0, asUser.exit(), asUser.output());
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(asUser.output());
    assertEquals(
        "rootless (a user namespace with the user's subordinate ids)", json.path("mode").asText());
    String uid = tool("id", "-u", USER).strip();
    assertTrue(
        json.path("uid_map").asText().startsWith("0 -> " + uid + ", 1-65535 -> 1800000-"),
        asUser.output());
    assertEquals(
        dir.resolve("home-user/.local/share/kiln").toString(), json.path("storage_root").asText());
    assertEquals("overlay (userxattr)", json.path("snapshotter").asText());
    String executor = json.path("executor").asText();
    assertTrue(executor.startsWith("crun (crun version "), executor);
    assertFalse(executor.contains("devices cgroup"), "rootless: the layers are nodev: " + executor);
  }

  private static String digest(Path file) throws Exception {
    return tool("sha256sum", file.toString()).split(" ")[0];
  }

  /** uid:gid of each entry of a tar, by name. */
  private static Map<String, String> owners(Path tar) throws Exception {
    Map<String, String> owners = new HashMap<>();
    try (InputStream in = Files.newInputStream(tar);
        TarArchiveInputStream entries = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
        String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
        owners.put(name, e.getLongUserId() + ":" + e.getLongGroupId());
      }
    }
    return owners;
  }

  private static String tool(String... argv) throws Exception {
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertTrue(process.waitFor(2, TimeUnit.MINUTES), String.join(" ", argv));
    assertEquals(0, process.exitValue(), output);
    return output;
  }
}
