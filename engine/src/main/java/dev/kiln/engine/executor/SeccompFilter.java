package dev.kiln.engine.executor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * A step's seccomp filter, as a classic BPF program for bwrap's {@code --seccomp}: the system calls
 * Docker's default profile refuses to a container without extra capabilities (mounting, keyrings,
 * kexec, modules, namespaces, {@code bpf}, {@code userfaultfd}, handles, clocks, …) fail with
 * {@code EPERM}; so does every call of another ABI than x86-64's (i386, x32). A denylist rather
 * than Docker's allowlist: the kernel's new calls stay open until listed, but nothing a build runs
 * today is refused that Docker allows.
 */
final class SeccompFilter {
  /** x86-64 numbers of the refused calls. */
  static final Map<String, Integer> REFUSED = refused();

  private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
  private static final int X32_SYSCALL_BIT = 0x40000000;
  private static final int RET_ALLOW = 0x7fff0000;
  private static final int RET_EPERM = 0x00050000 | 1;
  private static final short LD_W_ABS = 0x20;
  private static final short JEQ_K = 0x15;
  private static final short JGE_K = 0x35;
  private static final short RET_K = 0x06;

  private SeccompFilter() {}

  private static Map<String, Integer> refused() {
    Map<String, Integer> calls = new TreeMap<>();
    calls.put("_sysctl", 156);
    calls.put("acct", 163);
    calls.put("add_key", 248);
    calls.put("bpf", 321);
    calls.put("clock_adjtime", 305);
    calls.put("clock_settime", 227);
    calls.put("create_module", 174);
    calls.put("delete_module", 176);
    calls.put("finit_module", 313);
    calls.put("fsconfig", 431);
    calls.put("fsmount", 432);
    calls.put("fsopen", 430);
    calls.put("fspick", 433);
    calls.put("get_kernel_syms", 177);
    calls.put("init_module", 175);
    calls.put("ioperm", 173);
    calls.put("iopl", 172);
    calls.put("kexec_file_load", 320);
    calls.put("kexec_load", 246);
    calls.put("keyctl", 250);
    calls.put("lookup_dcookie", 212);
    calls.put("mount", 165);
    calls.put("mount_setattr", 442);
    calls.put("move_mount", 429);
    calls.put("move_pages", 279);
    calls.put("name_to_handle_at", 303);
    calls.put("nfsservctl", 180);
    calls.put("open_by_handle_at", 304);
    calls.put("open_tree", 428);
    calls.put("perf_event_open", 298);
    calls.put("pivot_root", 155);
    calls.put("query_module", 178);
    calls.put("quotactl", 179);
    calls.put("reboot", 169);
    calls.put("request_key", 249);
    calls.put("setns", 308);
    calls.put("settimeofday", 164);
    calls.put("swapoff", 168);
    calls.put("swapon", 167);
    calls.put("syslog", 103);
    calls.put("umount2", 166);
    calls.put("unshare", 272);
    calls.put("uselib", 134);
    calls.put("userfaultfd", 323);
    calls.put("ustat", 136);
    calls.put("vhangup", 153);
    return java.util.Collections.unmodifiableMap(calls);
  }

  /** The program: {@code struct sock_filter} entries, in the host's (little-endian) order. */
  static byte[] program() {
    int[] numbers = REFUSED.values().stream().mapToInt(Integer::intValue).sorted().toArray();
    int n = numbers.length;
    ByteBuffer bpf = ByteBuffer.allocate((n + 7) * 8).order(ByteOrder.LITTLE_ENDIAN);
    instruction(bpf, LD_W_ABS, 0, 0, 4); // seccomp_data.arch
    instruction(bpf, JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
    instruction(bpf, RET_K, 0, 0, RET_EPERM);
    instruction(bpf, LD_W_ABS, 0, 0, 0); // seccomp_data.nr
    instruction(bpf, JGE_K, n + 1, 0, X32_SYSCALL_BIT);
    for (int i = 0; i < n; i++) {
      // Equal: over the other comparisons and the allow, to the refusal.
      instruction(bpf, JEQ_K, n - i, 0, numbers[i]);
    }
    instruction(bpf, RET_K, 0, 0, RET_ALLOW);
    instruction(bpf, RET_K, 0, 0, RET_EPERM);
    return java.util.Arrays.copyOf(bpf.array(), bpf.position());
  }

  private static void instruction(ByteBuffer bpf, short code, int jt, int jf, int k) {
    bpf.putShort(code).put((byte) jt).put((byte) jf).putInt(k);
  }

  /** The program in a file under {@code dir}, written once (atomically) and shared by steps. */
  static Path install(Path dir) throws IOException {
    byte[] program = program();
    Files.createDirectories(dir);
    String name;
    try {
      name =
          "seccomp-"
              + java.util.HexFormat.of()
                  .formatHex(
                      java.security.MessageDigest.getInstance("SHA-256").digest(program), 0, 6)
              + ".bpf";
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path file = dir.resolve(name);
    if (!Files.isRegularFile(file) || !java.util.Arrays.equals(Files.readAllBytes(file), program)) {
      Path temp = Files.createTempFile(dir, "seccomp-", ".tmp");
      Files.write(temp, program);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
    return file;
  }
}
