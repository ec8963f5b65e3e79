package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.snapshot.Snapshotter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sandbox contract, and bwrap's own behaviour, for {@link BwrapExecutor}. */
class BwrapExecutorTest extends SandboxExecutorContract {
  @Override
  Executor newExecutor(Snapshotter snapshotter) {
    return new BwrapExecutor(snapshotter);
  }

  @Test
  void aSetuidBinaryGainsNothingSinceBwrapAlwaysSetsNoNewPrivs() throws Exception {
    assertEquals(List.of("euid=1000 nnp=1"), setuidIds(executor));
  }
}
