package dev.kiln.engine.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A response body whose read failures (a reset or cut connection) surface as retryable {@link
 * RegistryException}s, told apart from local disk errors by the code that copies it; and which is
 * closed, failing the read, when no byte arrives for {@code stallTimeout} (HttpClient's own timeout
 * ends with the response headers, and a stalled connection would otherwise hang a pull forever).
 */
final class NetworkInput extends FilterInputStream {
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "kiln-registry-stall-watchdog");
            thread.setDaemon(true);
            return thread;
          });

  private final RegistryEndpoint endpoint;
  private final Duration stallTimeout;
  private final ScheduledFuture<?> watch;
  private final long limit;
  private long received;
  private volatile long lastProgress = System.nanoTime();
  private volatile boolean stalled;

  /** A body that may not exceed {@code limit} bytes (what its descriptor promised). */
  NetworkInput(InputStream in, RegistryEndpoint endpoint, Duration stallTimeout, long limit) {
    super(in);
    this.limit = limit;
    this.endpoint = endpoint;
    this.stallTimeout = stallTimeout;
    long period = Math.max(1, stallTimeout.toMillis() / 4);
    this.watch = WATCHDOG.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public int read() throws IOException {
    try {
      int b = super.read();
      lastProgress = System.nanoTime();
      count(b < 0 ? -1 : 1);
      return b;
    } catch (IOException e) {
      throw failed(e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      int n = super.read(b, off, len);
      lastProgress = System.nanoTime();
      count(n);
      return n;
    } catch (IOException e) {
      throw failed(e);
    }
  }

  @Override
  public void close() throws IOException {
    watch.cancel(false);
    super.close();
  }

  private void count(int n) throws RegistryException {
    if (n > 0) {
      received += n;
      if (received > limit) {
        watch.cancel(false);
        throw RegistryErrors.invalid(
            endpoint, endpoint.base().toString(), "it sends more than the " + limit + " bytes due");
      }
    }
  }

  private void check() {
    if (System.nanoTime() - lastProgress > stallTimeout.toNanos()) {
      stalled = true;
      watch.cancel(false);
      try {
        in.close(); // wakes the reader blocked on the next buffer, with an IOException
      } catch (IOException e) {
        // The reader fails either way.
      }
    }
  }

  private IOException failed(IOException e) {
    watch.cancel(false);
    if (e instanceof RegistryException) {
      return e;
    }
    String problem =
        stalled
            ? "the download stalled: no data for " + shown(stallTimeout)
            : "the download broke: " + RegistryErrors.describe(e);
    return new RegistryException(
        RegistryException.Kind.UNAVAILABLE, endpoint.describe() + ": " + problem, e);
  }

  private static String shown(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }
}
