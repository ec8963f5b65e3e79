package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.testing.PostgresServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator killed mid-build (issue 11): another coordinator of the cluster, sharing its job
 * journal in PostgreSQL, takes the build over when the client sends it there, and the client gets
 * the result; the dead coordinator, started again, leaves the build to the one that took it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterCoordinatorTakeoverTest {
  private static final Pattern FIRST = Pattern.compile("first:yes");
  private static final Pattern ID = Pattern.compile("#0 build (\\S+)");

  @TempDir Path temp;

  private DaemonProcess node(String name, String url, String... cluster) throws Exception {
    List<String> options = new ArrayList<>(List.of(cluster));
    options.addAll(List.of("--down-after", "2s"));
    if (!url.isEmpty()) {
      options.addAll(List.of("--journal", url, "--journal-user", PostgresServer.USER));
    }
    return ClusterProcesses.node(temp.resolve(name), options.toArray(String[]::new));
  }

  /**
   * A chain whose first step leaves random bytes, whose second is slow (the coordinator dies during
   * it) and whose third is slower (the coordinator that died starts again during it).
   */
  private Path context() throws Exception {
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(context.resolve("app.txt"), "from the context\n");
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM busybox\n"
            + "COPY app.txt /app.txt\n"
            + "RUN echo first:$(echo yes) && head -c 16 /dev/urandom | od -An -tx1 > /first\n"
            + "RUN echo second:$(echo yes) && sleep 4 && echo second > /second\n"
            + "RUN echo third:$(echo yes) && sleep 15 && echo third > /third\n");
    return context;
  }

  @Test
  void aKilledCoordinatorsBuildIsTakenOverByAnotherAndItsClientGetsTheResult() throws Exception {
    String a = "127.0.0.1:" + ClusterPorts.next();
    String b = "127.0.0.1:" + ClusterPorts.next();
    String c = "127.0.0.1:" + ClusterPorts.next();
    ClusterProcesses.coordinatorRoots(temp.resolve("a"), temp.resolve("c"));
    Path context = context();
    Path out = temp.resolve("out");

    try (PostgresServer postgres = PostgresServer.start()) {
      String url = postgres.createDatabase("jobs");
      DaemonProcess coordinatorA = node("a", url, "--cluster-bind", a, "--role", "coordinator");
      try (coordinatorA;
          DaemonProcess worker =
              node("b", "", "--cluster-bind", b, "--join", a, "--role", "worker", "--slots", "2");
          DaemonProcess coordinatorC =
              node("c", url, "--cluster-bind", c, "--join", a, "--role", "coordinator")) {
        ClientLines client =
            ClusterProcesses.build(
                coordinatorA.address() + "," + coordinatorC.address(),
                context,
                "--output",
                "type=local,dest=" + out);
        client.await("second:yes");

        coordinatorA.kill();
        client.await("third:yes");

        // Started again while the build goes on elsewhere, the dead coordinator does not run the
        // build it had (its index let it go): it tells a client that follows it there, forgets it,
        // and removes its session.
        try (DaemonProcess again =
            node("a", url, "--cluster-bind", a, "--join", c, "--role", "coordinator")) {
          String there = eventsOf(again, client.seenOrAwait("#0 build ").split(" ")[2]);
          assertTrue(
              there.equals("404")
                  || there.contains(
                      "was taken over by another coordinator of the cluster while this daemon was"
                          + " away"),
              there);
          assertFalse(there.contains("goes on where it stood"), there);
          try (var sessions = Files.list(temp.resolve("a").resolve("sessions"))) {
            assertEquals(List.of(), sessions.toList(), "its session of the build is gone");
          }
        }
        int exit = client.exit();

        String shown = client.shown();
        assertEquals(0, exit, shown);
        Matcher id = ID.matcher(shown);
        assertTrue(id.find(), shown);
        assertTrue(
            shown.contains(
                "build " + id.group(1) + " goes on at " + coordinatorC.address() + ", which takes"),
            shown);
        assertTrue(
            shown.contains(
                "coordinator "
                    + a
                    + " left the cluster: build "
                    + id.group(1)
                    + " is taken over by coordinator "
                    + c),
            shown);
        assertEquals(
            1, FIRST.matcher(shown).results().count(), "the first step ran again: " + shown);
        assertEquals("from the context\n", Files.readString(out.resolve("app.txt")));
        assertEquals(16, Files.readString(out.resolve("first")).strip().split("\\s+").length);
        assertEquals("second\n", Files.readString(out.resolve("second")));
        assertEquals("third\n", Files.readString(out.resolve("third")));
      }
    }
  }

  /**
   * What {@code daemon}, just started, says of build {@code id}: its log to the end, or "404" once
   * it has let the build go (it names the builds it had before it listens, and lets go of one taken
   * over after).
   */
  private static String eventsOf(DaemonProcess daemon, String id) throws Exception {
    URI uri =
        URI.create(
            daemon.address().replace("tcp://", "http://") + "/v1/builds/" + id + "/events?after=0");
    HttpResponse<java.io.InputStream> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(uri).timeout(java.time.Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    try (java.io.InputStream body = answer.body()) {
      if (answer.statusCode() == 404) {
        return "404";
      }
      return answer.statusCode()
          + "\n"
          + new String(body.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
