package dev.kiln.frontend.dockerfile;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The build and target platform: the machine's own, the only one Kiln builds for so far. */
final class Platforms {
  private Platforms() {}

  static String os() {
    return "linux";
  }

  /** The machine's architecture in OCI terms (amd64, arm64, ...). */
  static String arch() {
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    switch (arch) {
      case "x86_64":
      case "amd64":
        return "amd64";
      case "aarch64":
        return "arm64";
      default:
        return arch;
    }
  }

  static String platform() {
    return os() + "/" + arch();
  }

  /** BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT and their TARGET* twins. */
  static Map<String, String> automaticArgs() {
    Map<String, String> args = new LinkedHashMap<>();
    for (String prefix : new String[] {"BUILD", "TARGET"}) {
      args.put(prefix + "PLATFORM", platform());
      args.put(prefix + "OS", os());
      args.put(prefix + "ARCH", arch());
      args.put(prefix + "VARIANT", "");
    }
    return args;
  }

  /** Accepts {@code FROM --platform=P} only for this machine's platform. */
  static void check(String requested, int line) {
    if (!requested.equals(platform()) && !requested.equals(os() + "/" + arch() + "/")) {
      throw new DockerfileError(
          line,
          "FROM --platform="
              + requested
              + ": building for another platform than "
              + platform()
              + " is not supported yet");
    }
  }
}
