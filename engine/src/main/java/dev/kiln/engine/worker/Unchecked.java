package dev.kiln.engine.worker;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;

/** Runs blocking code inside a CompletableFuture stage, rethrowing checked failures wrapped. */
public final class Unchecked {
  private Unchecked() {}

  public static <T> T get(Callable<T> work) {
    try {
      return work.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }
}
