package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every daemon test again over mutual TLS, with certificates OpenSSL makes for the test; and the
 * clients TLS must turn away.
 */
class DaemonTlsTest extends DaemonTest {
  private static Path certs;

  /** A CA, a server and a client certificate it signed, and a client of another CA. */
  private static synchronized Path certificates() throws Exception {
    if (certs == null) {
      Path dir = Files.createTempDirectory("kiln-tls-test");
      dir.toFile().deleteOnExit();
      run(
          dir,
          "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
              + " -keyout ca.key -out ca.pem -days 2 -subj /CN=kiln-test-ca");
      run(
          dir,
          "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
              + " -keyout rogue-ca.key -out rogue-ca.pem -days 2 -subj /CN=rogue-ca");
      sign(
          dir,
          "server",
          "ca",
          "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth");
      sign(dir, "client", "ca", "extendedKeyUsage=clientAuth");
      sign(dir, "rogue", "rogue-ca", "extendedKeyUsage=clientAuth");
      certs = dir;
    }
    return certs;
  }

  private static void sign(Path dir, String name, String ca, String extensions) throws Exception {
    Files.writeString(dir.resolve(name + ".ext"), extensions + "\n");
    run(
        dir,
        "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "
            + name
            + ".key -out "
            + name
            + ".csr -subj /CN="
            + name);
    run(
        dir,
        "x509 -req -in "
            + name
            + ".csr -CA "
            + ca
            + ".pem -CAkey "
            + ca
            + ".key -CAcreateserial -days 2 -out "
            + name
            + ".pem -extfile "
            + name
            + ".ext");
  }

  private static void run(Path dir, String args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args.split(" ")));
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), args + ": " + output);
  }

  private static TlsFiles files(String name, String ca) throws Exception {
    Path dir = certificates();
    return new TlsFiles(
        Optional.of(dir.resolve(name + ".pem")),
        Optional.of(dir.resolve(name + ".key")),
        Optional.of(dir.resolve(ca + ".pem")));
  }

  @Override
  DaemonAddress listenOn() {
    try {
      return new DaemonAddress.Tcp("127.0.0.1", 0, Optional.of(files("server", "ca")));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  DaemonAddress clientOf(DaemonAddress served) {
    try {
      DaemonAddress.Tcp tcp = (DaemonAddress.Tcp) served;
      return new DaemonAddress.Tcp("localhost", tcp.port(), Optional.of(files("client", "ca")));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  List<String> clientFlags() {
    TlsFiles client = ((DaemonAddress.Tcp) address).tls().orElseThrow();
    return List.of(
        "--tlscacert", client.ca().orElseThrow().toString(),
        "--tlscert", client.cert().orElseThrow().toString(),
        "--tlskey", client.key().orElseThrow().toString());
  }

  private DaemonAddress.Tcp with(Optional<TlsFiles> tls) {
    return new DaemonAddress.Tcp("127.0.0.1", ((DaemonAddress.Tcp) address).port(), tls);
  }

  @Test
  void clientsWithoutACertificateOfTheCaOrWithoutTlsAreTurnedAway() throws Exception {
    Path dir = certificates();
    Optional<Path> ca = Optional.of(dir.resolve("ca.pem"));
    List<DaemonAddress.Tcp> refused =
        List.of(
            with(Optional.of(new TlsFiles(Optional.empty(), Optional.empty(), ca))),
            with(Optional.of(files("rogue", "ca"))),
            with(Optional.empty()));
    for (DaemonAddress.Tcp client : refused) {
      assertThrows(
          IOException.class, () -> DaemonHttp.get(client, "/v1/builds"), client.tls().toString());
    }
    assertEquals("v1", DaemonHttp.get(address, "/v1/info").path("api").asText());
  }

  @Test
  void aClientThatDoesNotTrustTheDaemonsCaSaysSo() throws Exception {
    DaemonAddress.Tcp client = with(Optional.of(files("client", "rogue-ca")));
    IOException e = assertThrows(IOException.class, () -> DaemonHttp.get(client, "/v1/info"));
    assertTrue(e.getMessage().contains("the TLS handshake failed"), e.getMessage());
  }

  @Test
  void malformedCertificateFilesAreNamedInTheError() throws Exception {
    Path bad = temp.resolve("bad.pem");
    Files.writeString(
        bad, "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");
    Path dir = certificates();
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                new TlsFiles(
                        Optional.of(bad), Optional.of(dir.resolve("client.key")), Optional.empty())
                    .context());
    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());

    Path rsa = temp.resolve("rsa.key");
    Files.writeString(
        rsa, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    IOException key =
        assertThrows(
            IOException.class,
            () ->
                new TlsFiles(
                        Optional.of(dir.resolve("client.pem")), Optional.of(rsa), Optional.empty())
                    .context());
    assertTrue(key.getMessage().contains("openssl pkcs8 -topk8"), key.getMessage());
  }
}
