package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on Kiln from what a build gives it (issue 10), one test per class; each must be refused
 * or confined, and the engine left healthy. Started with entitlements: the Dockerfile frontend's
 * check is not the only one, so a definition or a frontend cannot bypass it (a frontend's case is
 * in {@link GatewayFrontendTest}). Attacks that aim at the host name their files {@link Pwned}
 * (unique, removed if they ever appear) and compare the host's {@code /etc} before and after
 * ({@link HostTree}); they never need the host to be writable by the build to fail loudly.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AttackSuiteTest {
  /** A step with every capability, in the JSON form; needs no image (it is refused first). */
  static final String INSECURE_STEP =
      "{\"vertices\":[{\"id\":\"s\",\"op\":{\"type\":\"source\",\"identifier\":\"scratch\"}},"
          + "{\"id\":\"x\",\"op\":{\"type\":\"exec\",\"args\":[\"true\"],\"security\":\"insecure\"},"
          + "\"inputs\":[{\"vertex\":\"s\"}]}],\"root\":{\"vertex\":\"x\"}}";

  /** busybox's /etc/passwd, as examples/parallel/prepare.sh writes it. */
  static final String BUSYBOX_PASSWD =
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n";

  @TempDir Path temp;

  @Test
  void aDefinitionCannotTakeAnEntitlementTheBuildWasNotGranted() throws Exception {
    Path graph = temp.resolve("graph.json");
    Files.writeString(graph, INSECURE_STEP);

    KilnRun refused =
        KilnRun.of(
            "build", "--root", temp.resolve("root").toString(), "--definition", graph.toString());
    KilnRun unknown =
        KilnRun.of(
            "build",
            "--root",
            temp.resolve("root").toString(),
            "--allow",
            "everything",
            "--definition",
            graph.toString());

    assertEquals(1, refused.exit(), refused.err());
    assertTrue(
        refused.err().contains("security.insecure is not allowed: pass --allow security.insecure"),
        refused.err());
    assertEquals(1, unknown.exit(), unknown.err());
    assertTrue(
        unknown.err().contains("--allow: unknown entitlement \"everything\""), unknown.err());
  }

  @Test
  void aDefinitionCannotTakeTheHostsNetworkWithoutNetworkHost() throws Exception {
    Path graph = temp.resolve("graph.json");
    Files.writeString(
        graph, INSECURE_STEP.replace("\"security\":\"insecure\"", "\"network\":\"host\""));

    KilnRun refused =
        KilnRun.of(
            "build", "--root", temp.resolve("root").toString(), "--definition", graph.toString());

    assertEquals(1, refused.exit(), refused.err());
    assertTrue(
        refused.err().contains("network.host is not allowed: pass --allow network.host"),
        refused.err());
  }

  /**
   * {@code kiln build} of {@code dockerfile} in this test's context, on busybox, into {@code out}.
   */
  private KilnRun build(String dockerfile, Path out, String... extra) throws Exception {
    return buildTo(dockerfile, "type=local,dest=" + out, extra);
  }

  /** {@code kiln build} of {@code dockerfile} with {@code --output output}, stdout captured. */
  private KilnRun buildTo(String dockerfile, String output, String... extra) throws Exception {
    Path context = temp.resolve("context");
    Files.createDirectories(context);
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    List<String> args =
        new ArrayList<>(
            List.of(
                "build",
                "--root",
                temp.resolve("root").toString(),
                "--progress",
                "plain",
                "--build-context",
                "busybox=" + BusyboxLayout.identifier(),
                "--output",
                output));
    args.addAll(List.of(extra));
    args.add(context.toString());
    return KilnRun.withStdout(args.toArray(String[]::new));
  }

  /** A plain build on the same root succeeds and busybox's files are as they were. */
  private void assertHealthy() throws Exception {
    Path out = Files.createTempDirectory(temp, "healthy-");
    KilnRun run = build("FROM busybox\nRUN cp /etc/passwd /passwd && echo fine > /fine\n", out);
    assertEquals(0, run.exit(), run.err());
    assertEquals("fine\n", Files.readString(out.resolve("fine")));
    assertEquals(BUSYBOX_PASSWD, Files.readString(out.resolve("passwd")));
  }

  @Test
  void devEntriesSymlinkedOutByTheImageChangeNothing() throws Exception {
    Path dev = Files.createDirectories(temp.resolve("context/dev"));
    Files.createSymbolicLink(dev.resolve("null"), Path.of("/etc/passwd"));

    KilnRun run =
        build(
            "FROM busybox\nCOPY dev /dev\n"
                + "RUN echo pwned > /dev/null && ! grep -q pwned /etc/passwd && echo > /clean\n",
            temp.resolve("out"));

    // The step's /dev is the sandbox's own: the write went to the null device.
    assertEquals(0, run.exit(), run.err());
    assertTrue(Files.exists(temp.resolve("out/clean")), run.err());
    assertTrue(!Files.readString(Path.of("/etc/passwd")).contains("pwned"));
  }

  @Test
  void aWorkdirInProcSelfFdReachesNoDescriptorOfTheHost() throws Exception {
    // CVE-2024-21626: runc leaked a host directory descriptor that WORKDIR /proc/self/fd/N reached.
    KilnRun run = build("FROM busybox\nWORKDIR /proc/self/fd/7\nRUN ls\n", temp.resolve("out"));
    KilnRun after = build("FROM busybox\nRUN echo fine > /fine\n", temp.resolve("after"));

    assertEquals(1, run.exit(), run.err());
    // bwrap: "Can't chdir to /proc/self/fd/7"; crun: "chdir `/proc/self/fd/7`: No such file".
    assertTrue(run.err().contains("chdir") && run.err().contains("/proc/self/fd/7"), run.err());
    assertEquals(0, after.exit(), after.err());
    assertEquals("fine\n", Files.readString(temp.resolve("after/fine")));
  }

  @Test
  void mountTargetsThroughSymlinksLandInsideTheStepsRoot() throws Exception {
    // CVE-2024-23651/23652: BuildKit once created a mount point through a link of the image.
    HostTree etc = HostTree.of(Path.of("/etc"));
    try (Pwned pwned = new Pwned().watching(temp)) {
      String bind = pwned.name("bind");
      String cache = pwned.name("cache");
      String tmpfs = pwned.name("tmpfs");
      KilnRun run =
          build(
              "FROM busybox AS base\n"
                  + "RUN mkdir /mnt && ln -s /etc /mnt/abs && ln -s ../../../../etc /mnt/rel\n"
                  + "FROM busybox AS tools\n"
                  + "RUN echo tool > /tool\n"
                  + "FROM base\n"
                  + "RUN --mount=type=bind,from=tools,target=/mnt/abs/"
                  + bind
                  + " --mount=type=cache,target=/mnt/rel/"
                  + cache
                  + " --mount=type=tmpfs,target=/mnt/abs/"
                  + tmpfs
                  + " cat /etc/"
                  + bind
                  + "/tool > /bound && echo c > /etc/"
                  + cache
                  + "/c && echo t > /mnt/rel/"
                  + tmpfs
                  + "/t && awk '{print $5}' /proc/self/mountinfo | grep kiln-pwned | sort"
                  + " > /mountpoints\n"
                  + "RUN --mount=type=bind,from=base,source=/mnt/abs,target=/abs"
                  + " --mount=type=bind,from=base,source=/mnt/rel,target=/rel"
                  + " cat /abs/passwd /rel/group > /read-through-links\n",
              temp.resolve("out"));

      assertEquals(0, run.exit(), run.err());
      assertEquals("tool\n", Files.readString(temp.resolve("out/bound")));
      assertEquals(
          "/etc/" + bind + "\n/etc/" + cache + "\n/etc/" + tmpfs + "\n",
          Files.readString(temp.resolve("out/mountpoints")));
      assertEquals(List.of(), TreeSearch.namesStartingWith(temp.resolve("out"), pwned.name("")));
      // A bind source through a link is the image's file, as BuildKit resolves it.
      assertEquals(
          BUSYBOX_PASSWD + "root:x:0:\nnogroup:x:65534:\n",
          Files.readString(temp.resolve("out/read-through-links")));
      pwned.assertNoneOnTheHost();
    }
    assertEquals(etc, etc.now());
    assertHealthy();
  }

  @Test
  void mountPointsAreRemovedOnlyFromTheStepsRoot() throws Exception {
    // The step swaps the parent of its mount points for a link to a host directory: removing the
    // mount points afterwards must not follow it to the host's empty files and directories.
    Path decoy = Files.createDirectories(temp.resolve("decoy"));
    Path secret = Files.writeString(temp.resolve("secret"), "s");
    try (Pwned pwned = new Pwned()) {
      Files.createDirectory(decoy.resolve(pwned.name("dir")));
      Files.createFile(decoy.resolve(pwned.name("file")));
      HostTree decoyTree = HostTree.of(decoy);
      KilnRun run =
          build(
              "FROM busybox\n"
                  + "RUN --mount=type=tmpfs,target=/a/"
                  + pwned.name("dir")
                  + " --mount=type=secret,id=s,target=/b/"
                  + pwned.name("file")
                  + " mv /a /a2 && ln -s "
                  + decoy
                  + " /a && mv /b /b2 && ln -s "
                  + decoy
                  + " /b\n",
              temp.resolve("out"),
              "--secret",
              "id=s,src=" + secret);

      assertEquals(0, run.exit(), run.err());
      assertEquals(decoyTree, decoyTree.now());
      assertEquals(decoy.toString(), Files.readSymbolicLink(temp.resolve("out/a")).toString());
    }
    assertHealthy();
  }

  @Test
  void symlinksKeptInACacheMountReachNothingOfTheHost() throws Exception {
    Path decoy = Files.createDirectories(temp.resolve("decoy"));
    String decoyText = "decoy-" + new Pwned().name("text");
    Files.writeString(decoy.resolve("keep"), decoyText);
    HostTree etc = HostTree.of(Path.of("/etc"));
    HostTree decoyTree = HostTree.of(decoy);
    Path mounts = temp.resolve("root/cache-mounts");
    try (Pwned pwned = new Pwned().watching(mounts, decoy)) {
      KilnRun plant =
          build(
              "FROM busybox\n"
                  + "RUN --mount=type=cache,id=links,target=/cache ln -s /etc /cache/escape"
                  + " && ln -s ../../../../../../../../../.. /cache/up && ln -s "
                  + decoy
                  + " /cache/decoy\n",
              temp.resolve("plant"));
      // Another build, another step: it finds the links and writes through them.
      KilnRun use =
          build(
              "FROM busybox\n"
                  + "RUN --mount=type=cache,id=links,target=/cache echo x > /cache/escape/"
                  + pwned.name("abs")
                  + " && echo y > /cache/up/"
                  + pwned.name("rel")
                  + " && if echo z > /cache/decoy/"
                  + pwned.name("decoy")
                  + "; then echo reached; else echo missing; fi > /decoy\n"
                  + "WORKDIR /w\n"
                  + "RUN --mount=type=cache,id=../../../../etc,target=../../../../etc/"
                  + pwned.name("dotdot")
                  + " echo d >> /etc/"
                  + pwned.name("dotdot")
                  + "/d && cat /etc/"
                  + pwned.name("dotdot")
                  + "/d > /dotdot\n",
              temp.resolve("use"),
              "--cache-to",
              "type=local,dest=" + temp.resolve("exported") + ",cache-mounts=true");

      assertEquals(0, plant.exit(), plant.err());
      assertEquals(0, use.exit(), use.err());
      // The links were followed in the step's root: the writes are part of its layer.
      assertEquals("x\n", Files.readString(temp.resolve("use/etc/" + pwned.name("abs"))));
      assertEquals("y\n", Files.readString(temp.resolve("use/" + pwned.name("rel"))));
      assertEquals("missing\n", Files.readString(temp.resolve("use/decoy")));
      assertEquals("d\n", Files.readString(temp.resolve("use/dotdot")));
      try (Stream<Path> dirs = Files.list(mounts)) {
        assertTrue(
            dirs.allMatch(d -> d.getFileName().toString().matches("[0-9a-f]{64}")),
            "cache directories are named by the sha256 of their id, whatever it holds");
      }
      assertEquals(List.of(), TreeSearch.filesHolding(temp.resolve("exported"), decoyText));
      pwned.assertNoneOnTheHost();
    }
    assertEquals(etc, etc.now());
    assertEquals(decoyTree, decoyTree.now());
    assertHealthy();
  }

  /**
   * Mounts nested inside a cache mount: bwrap would make their points by following the cache's
   * links on the host ({@code /oldroot} is the host's root while it sets up). A link planted by an
   * earlier build, and one a step of the same build swaps in and out in a loop while the others
   * mount through it (they wait: a cache that mounts nest in is the step's alone), both leave the
   * host directory they point at untouched.
   */
  @Test
  void mountsNestedInACacheLandInItWhileAStepSwapsItsDirectoryForALinkOut() throws Exception {
    Path target = Files.createDirectories(temp.resolve("host-target"));
    HostTree targetTree = HostTree.of(target);
    String out = "/oldroot" + target;
    KilnRun plant =
        build(
            "FROM busybox\nRUN --mount=type=cache,id=nest,target=/c ln -s " + out + " /c/d\n",
            temp.resolve("plant"));
    StringBuilder race =
        new StringBuilder("FROM busybox AS tools\nFROM busybox AS swapper\n")
            .append("RUN --mount=type=cache,id=nest,target=/c i=0; while [ $i -lt 3000 ]; do")
            .append(" rm -rf /c/d; mkdir /c/d; rm -rf /c/d; ln -s ")
            .append(out)
            .append(" /c/d; i=$((i+1)); done; echo swapped > /swapped\n");
    StringBuilder last = new StringBuilder("FROM busybox\nCOPY --from=swapper /swapped /\n");
    for (int i = 0; i < 8; i++) {
      race.append("FROM busybox AS m")
          .append(i)
          .append("\nRUN --mount=type=cache,id=nest,target=/c --mount=type=tmpfs,target=/c/d/t")
          .append(i)
          .append(" --mount=type=bind,from=tools,source=/bin,target=/c/d/b")
          .append(i)
          // Where it landed depends on what d was then: a directory, or the link resolved
          // inside the cache; both are in the cache.
          .append(" awk '{print $5}' /proc/self/mountinfo | grep -q '^/c/.*/t")
          .append(i)
          .append("$' && echo ")
          .append(i)
          .append(" > /m\n");
      last.append("COPY --from=m").append(i).append(" /m /m").append(i).append('\n');
    }
    KilnRun raced = build(race.append(last).toString(), temp.resolve("raced"));

    assertEquals(0, plant.exit(), plant.err());
    assertEquals(0, raced.exit(), raced.err());
    for (int i = 0; i < 8; i++) {
      assertEquals(i + "\n", Files.readString(temp.resolve("raced/m" + i)));
    }
    assertEquals(targetTree, targetTree.now(), "nothing was made in the host directory");
    assertHealthy();
  }

  @Test
  void addedArchivesAreConfinedToTheStepsRootOrRefused() throws Exception {
    Path context = Files.createDirectories(temp.resolve("context"));
    HostTree etc = HostTree.of(Path.of("/etc"));
    try (Pwned pwned = new Pwned().watching(context)) {
      new HostileTar()
          .file("/etc/" + pwned.name("abs"), "abs\n")
          .writeTo(context.resolve("abs.tar"));
      new HostileTar()
          .symlink("link", "/etc")
          .file("link/" + pwned.name("link"), "link\n")
          .symlink("rel", "../../../../../../etc")
          .file("rel/" + pwned.name("rel"), "rel\n")
          .writeTo(context.resolve("links.tar"));
      new HostileTar()
          .hardlink(pwned.name("hard"), "/etc/passwd")
          .symlink("passwd-link", "/etc/passwd")
          .hardlink(pwned.name("hard-to-link"), "passwd-link")
          .writeTo(context.resolve("hard.tar"));
      new HostileTar().file("../" + pwned.name("dotdot"), "x\n").writeTo(context.resolve("up.tar"));
      new HostileTar()
          .hardlink(pwned.name("hard-up"), "../../etc/passwd")
          .writeTo(context.resolve("hard-up.tar"));

      KilnRun confined =
          build(
              "FROM busybox\nADD abs.tar /dest/\nADD links.tar /dest/\nADD hard.tar /\n",
              temp.resolve("out"));
      KilnRun up = build("FROM busybox\nADD up.tar /dest/\n", temp.resolve("up"));
      KilnRun hardUp = build("FROM busybox\nADD hard-up.tar /dest/\n", temp.resolve("hard-up"));

      assertEquals(0, confined.exit(), confined.err());
      Path out = temp.resolve("out");
      assertEquals("abs\n", Files.readString(out.resolve("dest/etc/" + pwned.name("abs"))));
      // Entries below a link of the archive went where the link leads in the step's root.
      assertEquals("/etc", Files.readSymbolicLink(out.resolve("dest/link")).toString());
      assertEquals("link\n", Files.readString(out.resolve("etc/" + pwned.name("link"))));
      assertEquals("rel\n", Files.readString(out.resolve("etc/" + pwned.name("rel"))));
      // A hard link names the image's file, never the host's; to a link, it is a link.
      assertEquals(BUSYBOX_PASSWD, Files.readString(out.resolve(pwned.name("hard"))));
      assertEquals(
          "/etc/passwd",
          Files.readSymbolicLink(out.resolve(pwned.name("hard-to-link"))).toString());
      assertEquals(1, up.exit(), up.err());
      assertTrue(
          up.err()
              .contains(
                  "archive entry \"../"
                      + pwned.name("dotdot")
                      + "\" climbs out of the destination"),
          up.err());
      assertEquals(1, hardUp.exit(), hardUp.err());
      assertTrue(
          hardUp.err().contains("archive entry \"../../etc/passwd\" climbs out"), hardUp.err());
      pwned.assertNoneOnTheHost();
    }
    assertEquals(etc, etc.now());
    assertHealthy();
  }

  @Test
  void imageLayersWithEntriesOutsideTheirLayerAreRefused() throws Exception {
    HostTree etc = HostTree.of(Path.of("/etc"));
    try (Pwned pwned = new Pwned().watching(temp)) {
      Map<String, HostileTar> layers = new LinkedHashMap<>();
      layers.put(
          "layer entry \"../" + pwned.name("up") + "\" climbs out of the layer",
          new HostileTar().file("../" + pwned.name("up"), "x\n"));
      layers.put(
          "layer entry \"/etc/" + pwned.name("abs") + "\" is an absolute path",
          new HostileTar().file("/etc/" + pwned.name("abs"), "x\n"));
      layers.put(
          "goes through the symlink \"link\": layer entries are never written through symlinks",
          new HostileTar().symlink("link", "/etc").file("link/" + pwned.name("link"), "x\n"));
      layers.put(
          "hard link target \"/etc/passwd\" of layer entry \""
              + pwned.name("hard")
              + "\" is an absolute path",
          new HostileTar().hardlink(pwned.name("hard"), "/etc/passwd"));
      layers.put(
          "hard link target \"../../etc/passwd\" of layer entry \""
              + pwned.name("hard-up")
              + "\" climbs out of the layer",
          new HostileTar().hardlink(pwned.name("hard-up"), "../../etc/passwd"));
      layers.put(
          "hard link target \"etc/passwd\" of layer entry \""
              + pwned.name("hard-lower")
              + "\" is not in this layer",
          new HostileTar().hardlink(pwned.name("hard-lower"), "etc/passwd"));

      int n = 0;
      for (Map.Entry<String, HostileTar> layer : layers.entrySet()) {
        String image = OneLayerLayout.write(temp.resolve("layout-" + n), layer.getValue().bytes());
        KilnRun run =
            build(
                "FROM hostile\n",
                temp.resolve("out-" + n++),
                "--build-context",
                "hostile=" + image);
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().contains(layer.getKey()), run.err());
      }
      pwned.assertNoneOnTheHost();
    }
    assertEquals(etc, etc.now());
    assertHealthy();
  }

  @Test
  void contextLinksToTheHostBringNoneOfItsFilesIntoTheImage() throws Exception {
    Path context = Files.createDirectories(temp.resolve("context"));
    Path decoy = Files.createDirectories(temp.resolve("decoy"));
    String decoyText = "decoy-" + new Pwned().name("text");
    Files.writeString(decoy.resolve("secret"), decoyText);
    Files.createSymbolicLink(context.resolve("out"), Path.of("/etc"));
    Files.createSymbolicLink(context.resolve("passwd"), Path.of("/etc/passwd"));
    Files.createSymbolicLink(context.resolve("up"), Path.of("../../../../../../../../etc"));
    Files.createSymbolicLink(context.resolve("decoy"), decoy);
    HostTree etc = HostTree.of(Path.of("/etc"));
    try (Pwned pwned = new Pwned().watching(context)) {
      Map<String, KilnRun> refused = new LinkedHashMap<>();
      for (String source : List.of("out/passwd", "passwd", "up/passwd", "decoy/secret")) {
        refused.put(
            source, build("FROM busybox\nCOPY " + source + " /x\n", temp.resolve("refused")));
      }
      Path whole = temp.resolve("whole");
      KilnRun copyAll =
          build(
              "FROM busybox\nCOPY . /ctx\nRUN cat /ctx/out/passwd /ctx/passwd > /through\n", whole);

      refused.forEach(
          (source, run) -> {
            assertEquals(1, run.exit(), run.err());
            assertTrue(run.err().contains(source + ": no such file or directory"), run.err());
          });
      assertEquals(0, copyAll.exit(), copyAll.err());
      // Links are copied as links (as Docker does), so in the image they lead to its own files.
      assertEquals("/etc", Files.readSymbolicLink(whole.resolve("ctx/out")).toString());
      assertEquals("/etc/passwd", Files.readSymbolicLink(whole.resolve("ctx/passwd")).toString());
      assertEquals(decoy.toString(), Files.readSymbolicLink(whole.resolve("ctx/decoy")).toString());
      assertEquals(BUSYBOX_PASSWD + BUSYBOX_PASSWD, Files.readString(whole.resolve("through")));
      assertEquals(List.of(), TreeSearch.filesHolding(whole, decoyText));
      assertEquals(List.of(), TreeSearch.filesAsInTheHostsEtc(whole, etc));
      // Exported again into the same directory, where ctx/out is now a link to the host's /etc:
      // the exporter replaces the link with the image's directory (as BuildKit's does).
      KilnRun again =
          build(
              "FROM busybox\nRUN mkdir -p /ctx/out && echo x > /ctx/out/"
                  + pwned.name("export")
                  + "\n",
              whole);
      assertEquals(0, again.exit(), again.err());
      assertTrue(Files.isDirectory(whole.resolve("ctx/out"), LinkOption.NOFOLLOW_LINKS));
      assertEquals(
          List.of("ctx/out/" + pwned.name("export")),
          TreeSearch.namesStartingWith(whole, pwned.name("")));
      pwned.assertNoneOnTheHost();
    }
    assertEquals(etc, etc.now());
    assertHealthy();
  }

  @Test
  void aSecretIsNowhereInTheImageTheRootOrTheLogs() throws Exception {
    String secret = "kiln-secret-" + new Pwned().name("value");
    Path file = temp.resolve("tok");
    Files.writeString(file, secret);
    Path image = temp.resolve("image.tar");
    String given = "id=tok,src=" + file;

    KilnRun used =
        buildTo(
            "FROM busybox\n"
                + "RUN --mount=type=secret,id=tok"
                + " --mount=type=secret,id=tok,env=TOK,target=/run/secrets/again"
                + " test \"$(cat /run/secrets/tok)\" = \"$TOK\""
                + " && test \"$(cat /run/secrets/again)\" = \"$TOK\""
                + " && test ${#TOK} = "
                + secret.length()
                + " && echo used > /used\n",
            "type=oci,dest=" + image,
            "--secret",
            given);
    // The step is its own pid 1 (bwrap --as-pid-1): no bwrap init whose command line, the one a
    // host's ps shows, the step could read with its host paths.
    KilnRun argv =
        build(
            "FROM busybox\nRUN --mount=type=secret,id=tok,env=TOK"
                + " tr '\\0' '\\n' < /proc/1/cmdline > /init-argv\n",
            temp.resolve("argv"),
            "--secret",
            given);
    KilnRun failed =
        build(
            "FROM busybox\nRUN --mount=type=secret,id=tok,env=TOK sh -c 'exit 3'\n",
            temp.resolve("failed"),
            "--secret",
            given);

    assertEquals(0, used.exit(), used.err());
    assertEquals(0, argv.exit(), argv.err());
    String initArgv = Files.readString(temp.resolve("argv/init-argv"));
    assertTrue(initArgv.startsWith("tr\n"), initArgv); // sh execs its last command itself
    assertFalse(initArgv.contains("--unshare-pid"), initArgv);
    assertFalse(initArgv.contains(secret), initArgv);
    assertEquals(1, failed.exit(), failed.err());
    assertTrue(failed.err().contains("exit code: 3"), failed.err());
    for (KilnRun run : List.of(used, argv, failed)) {
      assertFalse(run.err().contains(secret), run.err());
      assertFalse(run.out().contains(secret), run.out());
    }
    assertEquals(List.of(), RootSearch.holding(temp.resolve("root"), secret));
    assertEquals(List.of(), TreeSearch.entriesHolding(image, secret));

    KilnRun echoed =
        build(
            "FROM busybox\nRUN --mount=type=secret,id=tok cat /run/secrets/tok\n",
            temp.resolve("echoed"),
            "--secret",
            given);
    assertEquals(0, echoed.exit(), echoed.err());
    // As BuildKit, Kiln does not mask a secret that a step prints itself: it is in the log.
    assertTrue(echoed.err().contains(secret), echoed.err());
    assertHealthy();
  }
}
