package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.tls.TlsFiles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DaemonAddressTest {
  @Test
  void readsUnixSocketsAndLoopbackPorts() {
    assertEquals(
        new DaemonAddress.Unix(Path.of("/run/kiln/kiln.sock")),
        DaemonAddress.parse("unix:///run/kiln/kiln.sock"));
    assertEquals(
        new DaemonAddress.Tcp("127.0.0.1", 8787), DaemonAddress.parse("tcp://127.0.0.1:8787"));
    assertEquals(
        "unix:///run/kiln/kiln.sock", DaemonAddress.parse("unix:///run/kiln/kiln.sock").toString());
  }

  @Test
  void anAddressOtherThanLoopbackNeedsTls() {
    TlsFiles tls =
        new TlsFiles(
            java.util.Optional.empty(),
            java.util.Optional.empty(),
            java.util.Optional.of(Path.of("/ca.pem")));
    assertEquals(
        new DaemonAddress.Tcp("10.1.2.3", 8787, java.util.Optional.of(tls)),
        DaemonAddress.parse("tcp://10.1.2.3:8787", java.util.Optional.of(tls)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> DaemonAddress.parse("tcp://10.1.2.3:8787"));
    assertTrue(e.getMessage().contains("needs TLS"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> DaemonAddress.parse("unix:///run/kiln.sock", java.util.Optional.of(tls)));
  }

  @Test
  void refusesWhatIsNoDaemonAddressSayingWhatToUse() {
    for (String bad :
        new String[] {
          "unix://run/kiln.sock",
          "unix:relative.sock",
          "unix:///x?y=1",
          "http://127.0.0.1:1",
          "tcp://127.0.0.1",
          "tcp://",
          "127.0.0.1:8787",
          "::::",
          "tcp://10.1.2.3:8787"
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> DaemonAddress.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("--addr " + bad + ": "), e.getMessage());
    }
  }

  @Test
  void severalCommaSeparatedAddressesAreReadInOrderAndABadOneIsNamed() {
    DaemonOption option = new DaemonOption();
    option.addr = java.util.Optional.of("tcp://127.0.0.1:8787, tcp://127.0.0.1:8788");
    assertEquals(
        java.util.List.of(
            new DaemonAddress.Tcp("127.0.0.1", 8787), new DaemonAddress.Tcp("127.0.0.1", 8788)),
        option.addresses());
    assertEquals(java.util.Optional.of(new DaemonAddress.Tcp("127.0.0.1", 8787)), option.address());
    for (String bad :
        new String[] {"tcp://127.0.0.1:8787,", "tcp://127.0.0.1:8787,,tcp://127.0.0.1:1", ","}) {
      option.addr = java.util.Optional.of(bad);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, option::addresses, bad);
      assertEquals(
          "--addr " + bad + ": an empty address in the comma-separated list", e.getMessage());
    }
    option.addr = java.util.Optional.of("tcp://127.0.0.1:8787,tcp://10.1.2.3:8787");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, option::addresses);
    assertTrue(e.getMessage().contains("tcp://10.1.2.3:8787: an address other than loopback"));
  }
}
