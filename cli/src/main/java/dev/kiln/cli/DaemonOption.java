package dev.kiln.cli;

import dev.kiln.engine.tls.TlsFiles;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --addr ADDR} (default {@code $KILN_HOST}): the daemon a command talks to. */
final class DaemonOption {
  @Option(
      names = "--addr",
      paramLabel = "ADDR",
      description =
          "The daemon at ADDR (unix:///PATH or tcp://127.0.0.1:PORT; default $KILN_HOST) instead of an engine of"
              + " this process. kiln build takes several, comma-separated: the others are"
              + " coordinators of the first's cluster that take the build over, or are sent it,"
              + " if it goes away.")
  Optional<String> addr = Optional.empty();

  @Option(
      names = "--tlscacert",
      paramLabel = "FILE",
      description = "With a tcp:// ADDR: the CA certificate (PEM) to check the daemon's with.")
  Optional<Path> tlsCa = Optional.empty();

  @Option(
      names = "--tlscert",
      paramLabel = "FILE",
      description = "With a tcp:// ADDR: this client's certificate (PEM), for mutual TLS.")
  Optional<Path> tlsCert = Optional.empty();

  @Option(
      names = "--tlskey",
      paramLabel = "FILE",
      description = "With a tcp:// ADDR: this client's private key (PEM, PKCS#8).")
  Optional<Path> tlsKey = Optional.empty();

  /**
   * The daemon given, if any (the first of several); throws naming what is wrong with its address.
   */
  Optional<DaemonAddress> address() {
    return addresses().stream().findFirst();
  }

  /**
   * The daemons given, comma-separated: the first, then other coordinators of its cluster that
   * {@code kiln build} turns to when the first goes away mid-build (docs/cluster.md); none if no
   * address is given. Throws naming what is wrong with an address.
   */
  java.util.List<DaemonAddress> addresses() {
    Optional<TlsFiles> tls = TlsFiles.of(tlsCert, tlsKey, tlsCa);
    Optional<String> given =
        addr.or(() -> Optional.ofNullable(System.getenv("KILN_HOST")).filter(h -> !h.isEmpty()));
    if (given.isEmpty() && tls.isPresent()) {
      throw new IllegalArgumentException("--tlscacert, --tlscert and --tlskey need --addr");
    }
    if (given.isEmpty()) {
      return java.util.List.of();
    }
    java.util.List<DaemonAddress> addresses = new java.util.ArrayList<>();
    for (String text : given.get().split(",", -1)) {
      if (text.isBlank()) {
        throw new IllegalArgumentException(
            "--addr " + given.get() + ": an empty address in the comma-separated list");
      }
      addresses.add(DaemonAddress.parse(text.strip(), tls));
    }
    return addresses;
  }

  /** The daemon given; throws saying how to give one when there is none. */
  DaemonAddress required(String command) {
    return address()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    command + " talks to a daemon: give --addr ADDR or set KILN_HOST"));
  }
}
