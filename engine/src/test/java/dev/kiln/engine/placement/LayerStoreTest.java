package dev.kiln.engine.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.engine.worker.Unchecked;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers moving between nodes: one node's {@link DataServer} serves a layer, another node's {@link
 * LayerStore} fetches it once, verified; a peer that answers wrongly (another digest, none,
 * garbage, a hostile tar, an error) fails the fetch with an error naming the layer and its node,
 * and leaves no layer behind.
 */
class LayerStoreTest {
  private final ActorTestKit kit = ActorTestKit.create();
  @TempDir Path temp;
  private HttpServer hostile;

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
    if (hostile != null) {
      hostile.stop(0);
    }
  }

  private Snapshotter snapshotter(String node) throws IOException {
    return TestLayers.snapshotter(Files.createDirectories(temp.resolve(node)));
  }

  /** A data server of node {@code node}'s {@code snapshotter}, on a free loopback port. */
  private DataServer server(Snapshotter snapshotter, String node) throws Exception {
    return DataServer.start(
        kit.system(), snapshotter, temp.resolve(node), "127.0.0.1", 0, ForkJoinPool.commonPool());
  }

  /** Node 127.0.0.1:1 ("a"), serving the busybox layer it made, and that layer's name. */
  private record Maker(Layer layer, DataServer server, SnapshotRef ref) {}

  private Maker maker() throws Exception {
    Snapshotter a = snapshotter("a");
    Layer made = TestLayers.busybox(a);
    DataServer server = server(a, "a");
    return new Maker(
        made,
        server,
        new LayerStore(a, "127.0.0.1:1", server.url())
            .refs(new SnapshotResult(new Snapshot(List.of(made)))));
  }

  /**
   * Node c fetches the maker's layer, whose snapshot node b ({@code serverB}) holds: the same
   * files, under the maker's name.
   */
  private void fetchedByCThroughB(Maker maker, DataServer serverB) throws Exception {
    LayerStore storeC = new LayerStore(snapshotter("c"), "127.0.0.1:3", "http://127.0.0.1:9");
    storeC.know("127.0.0.1:1", maker.server().url());
    storeC.know("127.0.0.1:2", serverB.url());

    Snapshot got = storeC.local(new SnapshotRef(maker.ref().layers(), "127.0.0.1:2"));

    assertEquals(
        TestLayers.fingerprint(maker.layer().dir()),
        TestLayers.fingerprint(got.layers().get(0).dir()));
    assertEquals(
        maker.ref().layers(),
        storeC.refs(new SnapshotResult(got)).layers(),
        "the copy keeps its name");
  }

  @Test
  void aLayerIsFetchedOnceVerifiedAndKeepsItsName() throws Exception {
    Snapshotter a = snapshotter("a");
    // busybox's layer: links, an executable, a sticky 1777 /tmp.
    Layer made = TestLayers.busybox(a);
    Files.writeString(made.dir().resolve("etc/conf"), "x=1\n");
    Files.createDirectories(made.dir().resolve("app"));
    Files.writeString(made.dir().resolve("app/hello.txt"), "hello\n");
    DataServer server = server(a, "a");
    LayerStore storeA = new LayerStore(a, "127.0.0.1:1", server.url());
    SnapshotRef ref = storeA.refs(new SnapshotResult(new Snapshot(List.of(made))));
    Snapshotter b = snapshotter("b");
    LayerStore storeB = new LayerStore(b, "127.0.0.1:2", "http://127.0.0.1:9");
    storeB.know("127.0.0.1:1", server.url());

    // Many steps asking at once: one fetch.
    List<CompletableFuture<Snapshot>> asks =
        Stream.generate(
                () ->
                    CompletableFuture.supplyAsync(
                        () -> Unchecked.get(() -> storeB.local(ref.layers()))))
            .limit(8)
            .toList();
    List<Snapshot> got = asks.stream().map(CompletableFuture::join).toList();

    assertEquals(1, storeB.moved().layers());
    assertTrue(storeB.moved().bytes() > 0);
    assertEquals(1, got.stream().distinct().count());
    Path fetched = got.get(0).layers().get(0).dir();
    assertEquals("hello\n", Files.readString(fetched.resolve("app/hello.txt")));
    assertEquals(TestLayers.fingerprint(made.dir()), TestLayers.fingerprint(fetched));
    assertEquals(
        List.of(new LayerRef("127.0.0.1:1", made.id(), ref.layers().get(0).bytes())),
        storeB.refs(new SnapshotResult(got.get(0))).layers(),
        "a copy is named as its origin, so that no other node fetches it from here");
    assertEquals(
        ref.layers(),
        new LayerStore(b, "127.0.0.1:2", "http://127.0.0.1:9")
            .refs(new SnapshotResult(got.get(0)))
            .layers(),
        "the name outlives a restart");
  }

  @Test
  void aCopyIsFetchedFromTheNodeHoldingItOnceItsMakerHasLeft() throws Exception {
    Maker maker = maker();
    DataServer serverA = maker.server();
    SnapshotRef ref = maker.ref();
    Snapshotter b = snapshotter("b");
    DataServer serverB = server(b, "b");
    LayerStore storeB = new LayerStore(b, "127.0.0.1:2", serverB.url());
    serverB.serveCopies(storeB::copy);
    storeB.know("127.0.0.1:1", serverA.url());
    storeB.local(ref);
    serverA.close().toCompletableFuture().get();
    fetchedByCThroughB(maker, serverB);
    IOException neither =
        assertThrows(
            IOException.class,
            () ->
                new LayerStore(snapshotter("d"), "127.0.0.1:4", "http://127.0.0.1:9")
                    .local(
                        new SnapshotRef(
                            List.of(new LayerRef("127.0.0.1:1", "404", 1)), "127.0.0.1:2")));
    assertTrue(neither.getMessage().contains("127.0.0.1:1"), neither.getMessage());
  }

  @Test
  void aCopyFetchedBeforeARestartIsServedAndNotFetchedAgain() throws Exception {
    Maker maker = maker();
    DataServer serverA = maker.server();
    SnapshotRef ref = maker.ref();
    Snapshotter b = snapshotter("b");
    LayerStore before = new LayerStore(b, "127.0.0.1:2", "http://127.0.0.1:9");
    before.know("127.0.0.1:1", serverA.url());
    Snapshot fetched = before.local(ref.layers());
    serverA.close().toCompletableFuture().get(); // the maker is gone

    // Node b restarts: a new store on the same snapshots.
    LayerStore after = new LayerStore(b, "127.0.0.1:2", "http://127.0.0.1:9");
    after.know("127.0.0.1:1", serverA.url());
    assertTrue(after.holds(new SnapshotRef(ref.layers(), "127.0.0.1:2")));
    assertEquals(fetched, after.local(ref.layers()), "the copy on disk, not a fetch");
    assertEquals(0, after.moved().layers());
    DataServer serverB = server(b, "b");
    serverB.serveCopies(after::copy);
    fetchedByCThroughB(maker, serverB);
    assertTrue(
        after.copy(new LayerRef("127.0.0.1:1", "999", 1)).isEmpty(), "a layer it never fetched");
  }

  @Test
  void askingForCopiesByMalformedOrHostileNamesFindsNothing() throws Exception {
    Snapshotter b = snapshotter("b");
    TestLayers.busybox(b);
    DataServer server = server(b, "b");
    LayerStore store = new LayerStore(b, "127.0.0.1:2", server.url());
    server.serveCopies(store::copy);
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

    for (String path :
        List.of(
            "/v1/copies/%2e%2e/1",
            "/v1/copies/a%20b/1",
            "/v1/copies/127.0.0.1:1/x",
            "/v1/copies/127.0.0.1:1/1",
            "/v1/copies/127.0.0.1:2/" + b.committedIds().get(0))) {
      java.net.http.HttpResponse<String> answer =
          http.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + path))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(404, answer.statusCode(), path + ": " + answer.body());
    }
  }

  @Test
  void aLayerTheHolderLacksIsAClearError() throws Exception {
    Snapshotter a = snapshotter("a");
    DataServer server = server(a, "a");
    Snapshotter b = snapshotter("b");
    LayerStore store = new LayerStore(b, "127.0.0.1:2", "http://127.0.0.1:9");
    store.know("127.0.0.1:1", server.url());

    IOException error =
        assertThrows(
            IOException.class, () -> store.local(List.of(new LayerRef("127.0.0.1:1", "77", 1))));

    assertTrue(
        error.getMessage().contains("layer 77 from 127.0.0.1:1: HTTP 404"), error.getMessage());
    assertEquals(List.of(), b.committedIds());
  }

  @Test
  void aNodeWhoseDataAddressIsUnknownIsAClearError() throws Exception {
    LayerStore store = new LayerStore(snapshotter("b"), "127.0.0.1:2", "http://127.0.0.1:9");

    IOException error =
        assertThrows(
            IOException.class, () -> store.local(List.of(new LayerRef("10.0.0.9:25520", "3", 1))));

    assertTrue(error.getMessage().contains("data address is not known"), error.getMessage());
  }

  /** A tar holding {@code name} with {@code content}. */
  private static byte[] tar(String name, String content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      byte[] data = content.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry entry = new TarArchiveEntry(name);
      entry.setSize(data.length);
      out.putArchiveEntry(entry);
      out.write(data);
      out.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }

  private static String sha256(byte[] data) throws Exception {
    return "sha256:"
        + java.util.HexFormat.of()
            .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
  }

  /** Fetches layer 5 from a peer that answers {@code body} with {@code digest} (or no header). */
  private IOException fetchFromHostile(byte[] body, String digest) throws Exception {
    hostile = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    hostile.createContext(
        "/v1/layers/",
        exchange -> {
          if (digest != null) {
            exchange.getResponseHeaders().add(LayerStore.DIGEST_HEADER, digest);
          }
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    hostile.start();
    Snapshotter b = snapshotter("b-" + System.nanoTime());
    LayerStore store = new LayerStore(b, "127.0.0.1:2", "http://127.0.0.1:9");
    store.know("127.0.0.1:66", "http://127.0.0.1:" + hostile.getAddress().getPort());
    IOException error =
        assertThrows(
            IOException.class, () -> store.local(List.of(new LayerRef("127.0.0.1:66", "5", 10))));
    assertEquals(List.of(), b.committedIds(), "nothing is kept of a refused layer");
    try (Stream<Path> left = Files.list(b.snapshotsDir())) {
      assertEquals(
          List.of(),
          left.filter(path -> path.getFileName().toString().startsWith("active-")).toList(),
          "nor its unpacked files");
    }
    assertEquals(0, store.moved().layers());
    return error;
  }

  @Test
  void aPeerThatSendsOtherBytesThanItAnnouncesIsRefused() throws Exception {
    byte[] body = tar("file", "what was sent\n");
    IOException error = fetchFromHostile(body, sha256(tar("file", "what was announced\n")));

    assertTrue(error.getMessage().contains("does not match its digest"), error.getMessage());
    assertTrue(error.getMessage().contains("layer 5 from 127.0.0.1:66"), error.getMessage());
  }

  @Test
  void aPeerThatAnnouncesNoDigestIsRefused() throws Exception {
    IOException error = fetchFromHostile(tar("file", "x\n"), null);

    assertTrue(error.getMessage().contains("no " + LayerStore.DIGEST_HEADER), error.getMessage());
  }

  @Test
  void aPeerThatSendsGarbageIsRefused() throws Exception {
    byte[] garbage = "this is not a tar archive at all".repeat(40).getBytes(StandardCharsets.UTF_8);
    IOException error = fetchFromHostile(garbage, sha256(garbage));

    assertTrue(error.getMessage().startsWith("layer 5 from 127.0.0.1:66: "), error.getMessage());
  }

  @Test
  void aPeerThatSendsAPathOutOfTheLayerIsRefused() throws Exception {
    byte[] escape = tar("../../escaped", "owned\n");
    IOException error = fetchFromHostile(escape, sha256(escape));

    assertTrue(error.getMessage().startsWith("layer 5 from 127.0.0.1:66: "), error.getMessage());
    assertTrue(Files.notExists(temp.resolve("escaped")));
  }
}
