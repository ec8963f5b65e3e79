package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sandbox contract, and what only crun does (setuid binaries), for {@link CrunExecutor}. */
class CrunExecutorTest extends SandboxExecutorContract {
  @Override
  Executor newExecutor(Snapshotter snapshotter) throws IOException {
    return crun(snapshotter, false);
  }

  private static CrunExecutor crun(Snapshotter snapshotter, boolean noNewPrivs) throws IOException {
    try {
      return new CrunExecutor(snapshotter, StepLimits.NONE, noNewPrivs);
    } catch (ExecException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Test
  void aSetuidBinaryRunsAsItsOwnerWhenNoNewPrivsIsOff() throws Exception {
    assertEquals(List.of("euid=0 nnp=0"), setuidIds(executor));
  }

  @Test
  void noNewPrivsKeepsASetuidBinaryUnprivileged() throws Exception {
    try (var strict = new Closing(crun(snapshotter, true))) {
      assertEquals(List.of("euid=1000 nnp=1"), setuidIds(strict.executor()));
    }
  }

  /** Closes an executor made inside a test. */
  private record Closing(Executor executor) implements AutoCloseable {
    @Override
    public void close() {
      executor.close();
    }
  }
}
