package dev.kiln.cli;

import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --addr ADDR} (default {@code $KILN_HOST}): the daemon a command talks to. */
final class DaemonOption {
  @Option(
      names = "--addr",
      paramLabel = "ADDR",
      description =
          "The daemon at ADDR (unix:///PATH or tcp://127.0.0.1:PORT; default $KILN_HOST) instead of an engine of"
              + " this process.")
  Optional<String> addr = Optional.empty();

  /** The daemon given, if any; throws naming what is wrong with its address. */
  Optional<DaemonAddress> address() {
    return addr.or(() -> Optional.ofNullable(System.getenv("KILN_HOST")).filter(h -> !h.isEmpty()))
        .map(DaemonAddress::parse);
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
