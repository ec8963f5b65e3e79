package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class UserSpecTest {
  @Test
  void emptyUserMeansRoot() {
    assertEquals(new UserSpec("0", Optional.empty()), UserSpec.parse(""));
  }

  @Test
  void userAndGroupAreSplitAtTheColon() {
    assertEquals(new UserSpec("app", Optional.of("staff")), UserSpec.parse("app:staff"));
    assertEquals(new UserSpec("1000", Optional.empty()), UserSpec.parse("1000"));
  }

  @Test
  void emptyPartsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> UserSpec.parse(":1000"));
    assertThrows(IllegalArgumentException.class, () -> UserSpec.parse("1000:"));
    assertThrows(IllegalArgumentException.class, () -> UserSpec.parse("a:b:c"));
  }
}
