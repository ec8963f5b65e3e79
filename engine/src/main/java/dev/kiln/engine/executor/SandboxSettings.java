package dev.kiln.engine.executor;

import com.typesafe.config.Config;
import java.util.Locale;

/**
 * Which sandbox runs steps ({@code kiln.executor}: auto, bwrap or crun) and whether steps run with
 * no_new_privs ({@code kiln.security.no-new-privs}, off by default as in BuildKit: images rely on
 * setuid binaries such as {@code su} and {@code ping}).
 */
public record SandboxSettings(Kind executor, boolean noNewPrivs) {
  /** The executor asked for. */
  public enum Kind {
    /** crun when no_new_privs is off and crun can run here, else bwrap. */
    AUTO,
    /** bubblewrap; it always sets no_new_privs. */
    BWRAP,
    /** the OCI runtime crun; refused at start when it cannot run here. */
    CRUN
  }

  /** The defaults: auto, no_new_privs off. */
  public static final SandboxSettings DEFAULT = new SandboxSettings(Kind.AUTO, false);

  /** The settings in {@code config}; an unknown executor names the setting and the choices. */
  public static SandboxSettings from(Config config) {
    String name = config.getString("kiln.executor").strip().toUpperCase(Locale.ROOT);
    Kind kind;
    try {
      kind = Kind.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "kiln.executor (KILN_EXECUTOR) is \""
              + config.getString("kiln.executor")
              + "\": it must be auto, bwrap or crun");
    }
    return new SandboxSettings(kind, config.getBoolean("kiln.security.no-new-privs"));
  }
}
