package dev.kiln.engine.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserNamespaceTest {
  @TempDir Path proc;

  private UserNamespace namespace(String uidMap, String gidMap) throws Exception {
    Files.writeString(proc.resolve("uid_map"), uidMap);
    Files.writeString(proc.resolve("gid_map"), gidMap);
    return UserNamespace.read(proc);
  }

  @Test
  void theInitialNamespaceIsRootfulAndHoldsEveryId() throws Exception {
    UserNamespace host =
        namespace("         0          0 4294967295\n", "         0          0 4294967295\n");
    assertTrue(host.rootful());
    assertFalse(host.singleId());
    assertTrue(host.hasUid(0) && host.hasUid(1000) && host.hasUid(4294967294L));
    assertEquals(0, host.hostUidOfRoot());
  }

  @Test
  void subordinateIdsMapTheUserToRootAndARangeAfterIt() throws Exception {
    String map = "         0       1001          1\n         1     100000      65535\n";
    UserNamespace rootless = namespace(map, map);
    assertFalse(rootless.rootful());
    assertFalse(rootless.singleId());
    assertTrue(rootless.hasUid(1000) && rootless.hasGid(65535));
    assertFalse(rootless.hasUid(65536), "past the range");
    assertEquals(1001, rootless.hostUidOfRoot());
    assertEquals(
        List.of("0 -> 1001", "1-65535 -> 100000-165534"),
        rootless.uids().stream().map(IdRange::describe).toList());
  }

  @Test
  void theUsersIdAloneIsASingleIdNamespaceThatHoldsOnlyRoot() throws Exception {
    UserNamespace single = namespace("0 1001 1\n", "0 1001 1\n");
    assertTrue(single.singleId());
    assertTrue(single.hasUid(0));
    assertFalse(single.hasUid(1000));
  }

  @Test
  void anUnreadableMapIsTheInitialNamespaces() {
    assertTrue(UserNamespace.read(proc.resolve("missing")).rootful());
  }
}
