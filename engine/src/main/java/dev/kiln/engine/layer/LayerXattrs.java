package dev.kiln.engine.layer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * The extended attributes a layer tar may set ({@code SCHILY.xattr.NAME} PAX records): only {@code
 * user.*} and {@code security.capability}. Never the overlayfs namespaces: Kiln mounts with {@code
 * userxattr}, so {@code user.overlay.*} (like {@code trusted.overlay.*} without it) would forge
 * whiteouts, opaque directories and redirects.
 */
final class LayerXattrs {
  static final String PAX_PREFIX = "SCHILY.xattr.";

  private LayerXattrs() {}

  /** One attribute of an entry; {@code value} is empty when it could not be read exactly. */
  record Xattr(String name, Optional<byte[]> value) {}

  /** Whether a layer may set the attribute {@code name}. */
  static boolean allowed(String name) {
    return name.equals("security.capability")
        || (name.startsWith("user.") && !name.startsWith("user.overlay."));
  }

  /** The attributes {@code entry} carries, allowed or not. */
  static List<Xattr> of(TarArchiveEntry entry) {
    List<Xattr> xattrs = new ArrayList<>();
    for (Map.Entry<String, String> header : entry.getExtraPaxHeaders().entrySet()) {
      if (header.getKey().startsWith(PAX_PREFIX)) {
        String value = header.getValue();
        // Commons Compress decodes PAX values as UTF-8: bytes that are not UTF-8 come back as
        // U+FFFD and cannot be restored.
        xattrs.add(
            new Xattr(
                header.getKey().substring(PAX_PREFIX.length()),
                value.indexOf('\uFFFD') >= 0
                    ? Optional.empty()
                    : Optional.of(value.getBytes(StandardCharsets.UTF_8))));
      }
    }
    return xattrs;
  }
}
