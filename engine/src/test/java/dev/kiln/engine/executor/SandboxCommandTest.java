package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxCommandTest {
  static final Path ROOTFS = Path.of("/k/mounts/m");

  static ExecSpec spec(String user, NetworkMode network, String... env) {
    return new ExecSpec(
        List.of("sh", "-c", "echo '$(rm -rf /)'"),
        List.of(env),
        "/work dir",
        user,
        network,
        SecurityMode.SANDBOX);
  }

  @Test
  void bwrapIsExecDirectlyWithTheMountedRootfsAndUserDataAsWholeArguments() {
    List<String> argv =
        SandboxCommand.argv(spec("", NetworkMode.NONE, "X=$(evil)"), UnixUser.ROOT, ROOTFS);

    assertEquals("bwrap", argv.get(0));
    int bind = argv.indexOf("--bind");
    assertEquals(List.of("--bind", "/k/mounts/m", "/"), argv.subList(bind, bind + 3));
    assertEquals(
        List.of("--setenv", "X", "$(evil)"),
        argv.subList(argv.indexOf("X") - 1, argv.indexOf("X") + 2));
    assertEquals(
        List.of("sh", "-c", "echo '$(rm -rf /)'"), argv.subList(argv.size() - 3, argv.size()));
    assertEquals(1, Collections.frequency(argv, "$(evil)"));
  }

  @Test
  void nonRootUserDropsPrivilegesAndGetsAUserNamespace() {
    List<String> argv =
        SandboxCommand.argv(spec("", NetworkMode.NONE), new UnixUser(1000, 100), ROOTFS);

    int setpriv = argv.indexOf("setpriv");
    assertEquals(
        List.of(
            "setpriv",
            "--reuid",
            "1000",
            "--regid",
            "100",
            "--clear-groups",
            "bwrap",
            "--unshare-user"),
        argv.subList(setpriv, setpriv + 8));
    assertFalse(argv.contains("--cap-add"));
  }

  @Test
  void secretVariablesTravelInTheEnvironmentNeverOnTheCommandLine() {
    ExecSpec plain = spec("", NetworkMode.NONE, "TOKEN=public", "A=1");
    ExecSpec spec =
        new ExecSpec(
            plain.args(),
            plain.env(),
            plain.cwd(),
            plain.user(),
            plain.network(),
            plain.security(),
            List.of(),
            Map.of("TOKEN", "s3cret", "LD_PRELOAD", "/x.so"));

    List<String> argv = SandboxCommand.argv(spec, UnixUser.ROOT, ROOTFS);
    Map<String, String> env = SandboxCommand.hostEnvironment(spec);

    assertFalse(argv.contains("s3cret"));
    assertFalse(argv.contains("public"), "the secret wins over the step's own TOKEN");
    assertEquals("s3cret", env.get("TOKEN"));
    assertTrue(argv.contains("A"));
    // A variable the host's loader would act on must not reach setpriv or bwrap themselves.
    assertFalse(env.containsKey("LD_PRELOAD"));
    assertEquals(
        List.of("--setenv", "LD_PRELOAD", "/x.so"),
        argv.subList(argv.indexOf("LD_PRELOAD") - 1, argv.indexOf("LD_PRELOAD") + 2));
    assertFalse(spec.toString().contains("s3cret"));
  }

  @Test
  void hostNetworkIsShared() {
    assertFalse(
        SandboxCommand.argv(spec("", NetworkMode.HOST), UnixUser.ROOT, ROOTFS)
            .contains("--unshare-net"));
    assertTrue(
        SandboxCommand.argv(spec("", NetworkMode.NONE), UnixUser.ROOT, ROOTFS)
            .contains("--unshare-net"));
  }

  @Test
  void givenPathIsKeptAndNoDefaultAdded() {
    List<String> argv =
        SandboxCommand.argv(spec("", NetworkMode.NONE, "PATH=/opt/bin"), UnixUser.ROOT, ROOTFS);

    assertTrue(argv.contains("/opt/bin"));
    assertFalse(argv.contains(SandboxCommand.DEFAULT_PATH));
  }

  @Test
  void theSeccompFilterIsOpenedByTheHostShellAsDescriptorThreeForBwrap() {
    List<String> argv =
        SandboxCommand.argv(
            spec("", NetworkMode.NONE),
            UnixUser.ROOT,
            ROOTFS,
            List.of(),
            java.util.Optional.of(java.nio.file.Path.of("/root/seccomp/f.bpf")));

    assertEquals(
        List.of("sh", "-c", "exec \"$@\" 3<\"$0\"", "/root/seccomp/f.bpf", "bwrap"),
        argv.subList(0, 5));
    int dashes = argv.indexOf("--");
    assertEquals(List.of("--seccomp", "3"), argv.subList(dashes - 2, dashes));
  }
}
