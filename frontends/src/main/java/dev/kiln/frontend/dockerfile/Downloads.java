package dev.kiln.frontend.dockerfile;

import java.net.URI;

/** What ADD calls a downloaded file: the last segment of the URL's path, as BuildKit does. */
final class Downloads {
  private Downloads() {}

  static String filename(String url) {
    String path;
    try {
      path = URI.create(url).getPath();
    } catch (IllegalArgumentException e) {
      path = "";
    }
    if (path == null) {
      path = "";
    }
    String trimmed = path.replaceAll("/+$", "");
    String name = trimmed.substring(trimmed.lastIndexOf('/') + 1);
    return name.isEmpty() || name.equals("..") || name.equals(".") ? "__unnamed__" : name;
  }
}
