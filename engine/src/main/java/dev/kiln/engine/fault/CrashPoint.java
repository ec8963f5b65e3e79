package dev.kiln.engine.fault;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named points where a crash-safety test makes the process die as a crash would ({@code
 * Runtime.halt}: no shutdown hook, no flush, as SIGKILL): {@code KILN_CRASH_AT=POINT[:N]} halts it
 * the {@code N}th time (default the first) it reaches {@code POINT}. The points: {@value
 * #LAYER_UNPACK}, {@value #BLOB_WRITE}, {@value #RECORD_WRITE}, {@value #EXPORT}, {@value #PUSH},
 * {@value #BUILD_UPLOADED}. Unset, as in normal use, reaching a point costs a comparison.
 */
public final class CrashPoint {
  /** The environment variable that arms a point. */
  public static final String VARIABLE = "KILN_CRASH_AT";

  /** Mid-way through unpacking an image layer: some entries written, not all. */
  public static final String LAYER_UNPACK = "layer-unpack";

  /** A blob hashed into its temporary file, not yet renamed into the content store. */
  public static final String BLOB_WRITE = "blob-write";

  /** A step's outputs committed, its cache record not yet written. */
  public static final String RECORD_WRITE = "record-write";

  /** An output archive written to its temporary file, not yet renamed into place. */
  public static final String EXPORT = "export";

  /** An image's blobs pushed, its manifest not yet. */
  public static final String PUSH = "push";

  /** A daemon has a build's upload, and has not yet told its client the build's id. */
  public static final String BUILD_UPLOADED = "build-uploaded";

  private static final String ARMED = armed();
  private static final int NTH = nth();
  private static final AtomicInteger REACHED = new AtomicInteger();

  private CrashPoint() {}

  /** Halts the process here if this point is armed and reached for the armed time. */
  public static void reach(String point) {
    if (ARMED.equals(point) && REACHED.incrementAndGet() == NTH) {
      // Logged, though a halt may lose it: like a real crash, this one leaves no trace of its own.
      org.slf4j.LoggerFactory.getLogger(CrashPoint.class)
          .error("crashing at {} ({})", point, VARIABLE);
      Runtime.getRuntime().halt(137);
    }
  }

  private static String armed() {
    String value = System.getenv(VARIABLE);
    if (value == null) {
      return "";
    }
    int colon = value.indexOf(':');
    return colon < 0 ? value : value.substring(0, colon);
  }

  private static int nth() {
    String value = System.getenv(VARIABLE);
    if (value == null || value.indexOf(':') < 0) {
      return 1;
    }
    try {
      return Math.max(1, Integer.parseInt(value.substring(value.indexOf(':') + 1)));
    } catch (NumberFormatException e) {
      return 1;
    }
  }
}
