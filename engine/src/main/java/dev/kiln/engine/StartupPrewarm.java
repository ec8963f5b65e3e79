package dev.kiln.engine;

import com.typesafe.config.ConfigFactory;
import java.net.http.HttpClient;
import org.slf4j.LoggerFactory;

/**
 * Loads, on a background thread, what {@link Engine#start} would otherwise load on the caller's:
 * the actor system's configuration (parsing the modules' reference.conf files takes ~0.13 s), the
 * logging back end and the HTTP client's classes. A command line calls it first thing, so that the
 * work overlaps its own argument parsing and input reading; the results are the process-wide caches
 * that the engine then finds ready.
 */
public final class StartupPrewarm {
  private StartupPrewarm() {}

  /** Starts the background loading and returns at once. */
  public static void start() {
    Thread thread =
        new Thread(
            () -> {
              ConfigFactory.load(StartupPrewarm.class.getClassLoader());
              LoggerFactory.getILoggerFactory();
              HttpClient.newBuilder();
            },
            "kiln-prewarm");
    thread.setDaemon(true);
    thread.start();
  }
}
