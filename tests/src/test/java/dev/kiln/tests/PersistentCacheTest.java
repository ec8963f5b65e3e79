package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.testing.RegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persistent cache through {@code kiln build}: restarts, content keys, lost data. */
class PersistentCacheTest {
  private static final String STAMPED =
      """
      FROM busybox AS build
      COPY app.txt /src/app.txt
      RUN cat /src/app.txt > /built && cat /proc/sys/kernel/random/uuid >> /built
      FROM busybox
      COPY --from=build /built /built
      """;

  @TempDir Path temp;
  DockerfileBuilds builds;

  @BeforeEach
  void context() throws Exception {
    builds = new DockerfileBuilds(temp);
    Files.writeString(builds.context.resolve("app.txt"), "v1\n");
    Files.writeString(builds.context.resolve("other.txt"), "unrelated\n");
  }

  /** One {@code kiln} run in a JVM of its own. */
  private KilnRun inNewProcess(String dockerfile) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
    command.add("dev.kiln.cli.KilnCommand");
    command.addAll(
        builds.arguments(dockerfile, "type=local,dest=" + builds.out(), "--progress", "plain"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), "kiln did not end");
    return new KilnRun(process.exitValue(), output);
  }

  private static long count(String text, String what) {
    return text.lines().filter(line -> line.contains(what)).count();
  }

  @Test
  void aNewProcessOnTheSameRootRebuildsWithEveryStepCached() throws Exception {
    KilnRun first = inNewProcess(STAMPED);
    assertEquals(0, first.exit(), first.err());
    String built = builds.out("built");

    KilnRun second = inNewProcess(STAMPED);
    assertEquals(0, second.exit(), second.err());
    assertEquals(built, builds.out("built"), "the RUN step ran again");
    assertEquals(0, count(second.err(), " DONE"), second.err());
    assertEquals(count(first.err(), " DONE"), count(second.err(), " CACHED"), second.err());
  }

  @Test
  void editingAFileNoStepCopiesKeepsTheHitAndEditingACopiedOneMisses() throws Exception {
    KilnRun first = builds.build(STAMPED);
    assertEquals(0, first.exit(), first.err());
    String built = builds.out("built");

    Files.writeString(builds.context.resolve("other.txt"), "edited\n");
    Files.setLastModifiedTime(
        builds.context.resolve("app.txt"), FileTime.from(Instant.parse("2001-02-03T04:05:06Z")));
    KilnRun unrelated = builds.build(STAMPED);
    assertEquals(0, unrelated.exit(), unrelated.err());
    assertEquals(built, builds.out("built"), "an unread file or an mtime busted the cache");

    Files.writeString(builds.context.resolve("app.txt"), "v2\n");
    KilnRun selected = builds.build(STAMPED);
    assertEquals(0, selected.exit(), selected.err());
    assertTrue(builds.out("built").startsWith("v2\n"), builds.out("built"));
  }

  @Test
  void aRecordWhoseLayerIsGoneIsDroppedAtStartAndItsStepRunsAgain() throws Exception {
    KilnRun first = builds.build(STAMPED);
    assertEquals(0, first.exit(), first.err());
    String built = builds.out("built");

    Path snapshots = temp.resolve("root/snapshots");
    long newest;
    try (Stream<Path> layers = Files.list(snapshots)) {
      newest =
          layers
              .map(p -> p.getFileName().toString())
              .filter(name -> name.matches("\\d+"))
              .mapToLong(Long::parseLong)
              .max()
              .orElseThrow();
    }
    // The newest layer is the final COPY's; the records of that step and of no other go.
    FileTrees.deleteRecursively(snapshots.resolve(Long.toString(newest)));

    KilnRun second = builds.build(STAMPED);
    assertEquals(0, second.exit(), second.err());
    assertTrue(
        second.err().contains("warning: cache: dropped 1 records whose data was gone"),
        second.err());
    assertEquals(built, builds.out("built"), "a step whose layer is still there ran again");
    assertEquals(1, count(second.err(), " DONE"), second.err());
  }

  @Test
  void noCacheRunsEveryStepAgain() throws Exception {
    KilnRun first = builds.build(STAMPED);
    assertEquals(0, first.exit(), first.err());
    String built = builds.out("built");

    KilnRun again = builds.build(STAMPED, "--no-cache");
    assertEquals(0, again.exit(), again.err());
    assertNotEquals(built, builds.out("built"));
  }

  @Test
  void noCacheFilterRunsTheNamedStageAgainAndWhatIsBuiltOnIt() throws Exception {
    KilnRun first = builds.build(STAMPED);
    assertEquals(0, first.exit(), first.err());
    String built = builds.out("built");

    KilnRun again = builds.build(STAMPED, "--no-cache-filter", "build");
    assertEquals(0, again.exit(), again.err());
    assertNotEquals(built, builds.out("built"), "the final stage kept the old RUN's output");
    assertTrue(again.err().contains("CACHED"), "the base image came from the cache");

    KilnRun unknown = builds.build(STAMPED, "--no-cache-filter", "biuld");
    assertEquals(1, unknown.exit(), unknown.err());
    assertTrue(
        unknown.err().contains("no-cache-filter: stage \"biuld\" could not be found"),
        unknown.err());
  }

  private KilnRun kiln(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--root", temp.resolve("root").toString()));
    return KilnRun.withStdout(all.toArray(String[]::new));
  }

  @Test
  void duShowsUsageByTypeAndPruneFreesItWithoutBreakingTheNextBuild() throws Exception {
    KilnRun build = builds.build(STAMPED);
    assertEquals(0, build.exit(), build.err());

    KilnRun du = kiln("du");
    assertEquals(0, du.exit(), du.err());
    assertTrue(du.out().contains("exec "), du.out());
    assertTrue(du.out().contains("source.local "), du.out());
    assertTrue(du.out().contains("Total:"), du.out());
    assertFalse(du.out().contains("Content:\t0B"), "the pulled base image's blobs: " + du.out());
    KilnRun verbose = kiln("du", "--verbose");
    assertTrue(verbose.out().contains("[build 3/3] RUN cat /src/app.txt"), verbose.out());

    KilnRun recentKept = kiln("prune", "--filter", "until=1h");
    assertEquals(0, recentKept.exit(), recentKept.err());
    assertTrue(recentKept.out().startsWith("Deleted 0 records"), recentKept.out());
    KilnRun roomy = kiln("prune", "--keep-storage", "10GB");
    assertTrue(roomy.out().startsWith("Deleted 0 records"), roomy.out());

    KilnRun all = kiln("prune", "--all");
    assertEquals(0, all.exit(), all.err());
    assertFalse(all.out().startsWith("Deleted 0 records"), all.out());
    // The pulled base image's blobs go with its layers; nothing names them any more.
    assertFalse(all.out().contains(" and 0 blobs"), all.out());
    try (var blobs = Files.list(temp.resolve("root/content/blobs/sha256"))) {
      assertEquals(List.of(), blobs.toList());
    }
    assertTrue(kiln("du").out().contains("Total:\t\t0B"), kiln("du").out());

    KilnRun rebuilt = builds.build(STAMPED);
    assertEquals(0, rebuilt.exit(), rebuilt.err());
    assertEquals(0, count(rebuilt.err(), " CACHED"), rebuilt.err());
    assertTrue(builds.out("built").startsWith("v1\n"));
  }

  @Test
  void badPruneAndDuArgumentsAreRefusedWithTheReason() {
    KilnRun filter = kiln("prune", "--filter", "type=regular");
    assertEquals(1, filter.exit());
    assertTrue(filter.err().contains("only until=DURATION is supported"), filter.err());
    KilnRun duration = kiln("prune", "--filter", "until=soon");
    assertEquals(1, duration.exit());
    assertTrue(duration.err().contains("\"soon\" is not a duration"), duration.err());
    KilnRun size = kiln("prune", "--keep-storage", "lots");
    assertEquals(1, size.exit());
    assertTrue(size.err().contains("\"lots\" is not a size"), size.err());
    KilnRun why = kiln("du", "--why", "sha256:zz");
    assertEquals(1, why.exit());
    assertTrue(why.err().contains("--why sha256:zz"), why.err());
  }

  @Test
  void explainNamesTheFileTheCommandOrTheInputThatChanged() throws Exception {
    KilnRun first = builds.build(STAMPED);
    assertEquals(0, first.exit(), first.err());

    Files.writeString(builds.context.resolve("app.txt"), "v2\n");
    KilnRun file = builds.build(STAMPED, "--explain");
    assertEquals(0, file.exit(), file.err());
    assertTrue(
        file.err().contains("local://context: the selected files changed: modified app.txt"),
        file.err());
    assertTrue(
        file.err().contains("[build 2/3] COPY app.txt /src/app.txt: an input changed: local://"),
        file.err());

    KilnRun command =
        builds.build(STAMPED.replace("uuid >> /built", "uuid >> /built; true"), "--explain");
    assertEquals(0, command.exit(), command.err());
    assertTrue(command.err().contains("[build 3/3] RUN"), command.err());
    assertTrue(command.err().contains(": the step changed: args[2]:"), command.err());

    KilnRun none = builds.build(STAMPED, "--explain");
    assertTrue(none.err().contains("cache: every step was cached"), none.err());
  }

  /** Builds STAMPED on {@code fresh} from the cache {@code source}: nothing runs, same output. */
  private static void assertImportRunsNothing(DockerfileBuilds fresh, String source, String built)
      throws Exception {
    KilnRun imported = fresh.build(STAMPED, "--cache-from", source, "--progress", "plain");
    assertEquals(0, imported.exit(), imported.err());
    assertEquals(0, count(imported.err(), " DONE"), imported.err());
    assertEquals(built, fresh.out("built"), "a step ran instead of coming from the cache");
  }

  /** Builds on a root of its own, with the same context files. */
  private DockerfileBuilds freshRoot(String name) throws Exception {
    DockerfileBuilds other = new DockerfileBuilds(Files.createDirectories(temp.resolve(name)));
    Files.writeString(other.context.resolve("app.txt"), "v1\n");
    Files.writeString(other.context.resolve("other.txt"), "unrelated\n");
    return other;
  }

  @Test
  void aCacheExportedWithModeMaxLetsAFreshRootRunNothing() throws Exception {
    Path cache = temp.resolve("cache");
    KilnRun export = builds.build(STAMPED, "--cache-to", "type=local,dest=" + cache + ",mode=max");
    assertEquals(0, export.exit(), export.err());
    assertTrue(export.err().contains("exported cache (max): "), export.err());
    String built = builds.out("built");

    DockerfileBuilds fresh = freshRoot("fresh");
    assertImportRunsNothing(fresh, "type=local,src=" + cache, built);

    // Only the layers of the records hit were fetched: the final stage's, not the build stage's.
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    String manifest =
        json.readTree(cache.resolve("index.json").toFile())
            .path("manifests")
            .get(0)
            .path("digest")
            .asText()
            .substring("sha256:".length());
    List<String> layers = new ArrayList<>();
    json.readTree(cache.resolve("blobs/sha256/" + manifest).toFile())
        .path("layers")
        .forEach(layer -> layers.add(layer.path("digest").asText().substring("sha256:".length())));
    Path blobs = temp.resolve("fresh/root/content/blobs/sha256");
    long fetched = layers.stream().filter(hex -> Files.exists(blobs.resolve(hex))).count();
    assertTrue(fetched > 0 && fetched < layers.size(), fetched + " of " + layers.size());
  }

  @Test
  void modeMinCarriesTheResultAndAHitThereSkipsTheStagesBelow() throws Exception {
    Path cache = temp.resolve("cache-min");
    KilnRun export = builds.build(STAMPED, "--cache-to", "type=local,dest=" + cache);
    assertEquals(0, export.exit(), export.err());
    assertTrue(export.err().contains("exported cache (min): "), export.err());
    String built = builds.out("built");

    DockerfileBuilds fresh = freshRoot("fresh-min");
    assertImportRunsNothing(fresh, "type=local,src=" + cache, built);
  }

  @Test
  void aDamagedOrMissingImportCostsItsHitsNeverTheBuild() throws Exception {
    Path cache = temp.resolve("cache-bad");
    KilnRun export = builds.build(STAMPED, "--cache-to", "type=local,dest=" + cache + ",mode=max");
    assertEquals(0, export.exit(), export.err());
    try (Stream<Path> blobs = Files.list(cache.resolve("blobs/sha256"))) {
      for (Path blob : blobs.toList()) {
        if (Files.size(blob) > 100_000) {
          // Layers only (the records' JSON is small): zeroes, so the digest no longer holds.
          Files.write(blob, new byte[(int) Files.size(blob)]);
        }
      }
    }
    DockerfileBuilds fresh = freshRoot("fresh-bad");
    KilnRun damaged =
        fresh.build(STAMPED, "--cache-from", "type=local,src=" + cache, "--progress", "plain");
    assertEquals(0, damaged.exit(), damaged.err());
    assertTrue(damaged.err().contains("warning: cache lookup failed"), damaged.err());
    assertTrue(fresh.out("built").startsWith("v1\n"));

    KilnRun missing =
        fresh.build(STAMPED, "--cache-from", "type=local,src=" + temp.resolve("nowhere"));
    assertEquals(1, missing.exit(), missing.err());
    assertTrue(missing.err().contains("nowhere: not a directory"), missing.err());
    KilnRun gha = fresh.build(STAMPED, "--cache-to", "type=gha");
    assertEquals(1, gha.exit(), gha.err());
    assertTrue(gha.err().contains("type=gha is not supported"), gha.err());
  }

  @Test
  void aCacheImagePushedToARegistryLetsAFreshRootRunNothing() throws Exception {
    try (RegistryServer registry = RegistryServer.start()) {
      String ref = registry.host() + "/kiln/app:buildcache";
      KilnRun export =
          builds.build(STAMPED, "--cache-to", "type=registry,ref=" + ref + ",mode=max");
      assertEquals(0, export.exit(), export.err());
      assertTrue(export.err().contains("layers to " + ref), export.err());
      String built = builds.out("built");

      DockerfileBuilds fresh = freshRoot("fresh-registry");
      assertImportRunsNothing(fresh, "type=registry,ref=" + ref, built);

      KilnRun notACache =
          fresh.build(STAMPED, "--cache-from", "type=registry,ref=" + registry.host() + "/none:1");
      assertEquals(1, notACache.exit(), notACache.err());
      assertTrue(notACache.err().contains("none:1"), notACache.err());
    }
  }

  @Test
  void cacheMountsTravelWithTheCacheWhenAsked() throws Exception {
    Path cache = temp.resolve("cache-mounts");
    KilnRun export =
        builds.build(
            "FROM busybox\nRUN --mount=type=cache,target=/c,id=deps echo fetched > /c/deps.txt\n",
            "--cache-to",
            "type=local,dest=" + cache + ",mode=max,cache-mounts=true");
    assertEquals(0, export.exit(), export.err());

    String reads = "FROM busybox\nRUN --mount=type=cache,target=/d,id=deps cp /d/deps.txt /seen\n";
    KilnRun without = freshRoot("fresh-no-mounts").build(reads);
    assertEquals(1, without.exit(), "a fresh root already had the cache mount");
    DockerfileBuilds fresh = freshRoot("fresh-mounts");
    KilnRun imported = fresh.build(reads, "--cache-from", "type=local,src=" + cache);
    assertEquals(0, imported.exit(), imported.err());
    assertEquals("fetched\n", fresh.out("seen"));
  }

  @Test
  void anInlineCacheInThePushedImageLetsAFreshRootRunNothing() throws Exception {
    try (RegistryServer registry = RegistryServer.start()) {
      String ref = registry.host() + "/kiln/inline:1";
      KilnRun export = builds.build(STAMPED, "-t", ref, "--push", "--cache-to", "type=inline");
      assertEquals(0, export.exit(), export.err());
      String built = builds.out("built");

      DockerfileBuilds fresh = freshRoot("fresh-inline");
      assertImportRunsNothing(fresh, "type=registry,ref=" + ref, built);

      KilnRun noImage = fresh.build(STAMPED, "--cache-to", "type=inline");
      assertEquals(1, noImage.exit(), noImage.err());
      assertTrue(noImage.err().contains("type=inline puts the cache in the image"), noImage.err());
    }
  }
}
