package dev.kiln.engine.fileop;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists the selected entries below a directory, parents before children and names sorted, so copies
 * and checksums see the same, deterministic sequence. Symlinks are listed, never followed; sockets,
 * FIFOs and devices are left out.
 */
public final class SelectedTree {
  /** One selected entry, named by its slash-separated path relative to the walked root. */
  public record Entry(String relative, Path path, FileInfo info) {}

  private SelectedTree() {}

  public static List<Entry> walk(Path root, Selection selection) throws IOException {
    List<Entry> entries = new ArrayList<>();
    visit(root, "", selection, entries);
    return entries;
  }

  /** Returns whether anything below {@code dir} was selected. */
  private static boolean visit(Path dir, String relative, Selection selection, List<Entry> out)
      throws IOException {
    boolean any = false;
    for (Path child : sortedChildren(dir)) {
      String name = child.getFileName().toString();
      String childRelative = relative.isEmpty() ? name : relative + "/" + name;
      FileInfo info = FileInfo.read(child).orElse(null);
      if (info == null || info.kind() == FileInfo.Kind.OTHER) {
        continue; // vanished while walking, or a special file copies never carry
      }
      if (info.isDirectory()) {
        boolean selected = selection.selects(childRelative);
        if (!selected && !selection.mayDescend(childRelative)) {
          continue;
        }
        int mark = out.size();
        out.add(new Entry(childRelative, child, info));
        boolean below =
            selection.mayDescend(childRelative) && visit(child, childRelative, selection, out);
        if (!below && !selected) {
          out.remove(mark); // kept only as a parent, and nothing below it was wanted
        }
        any |= below || selected;
      } else if (selection.selects(childRelative)) {
        out.add(new Entry(childRelative, child, info));
        any = true;
      }
    }
    return any;
  }

  private static List<Path> sortedChildren(Path dir) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(children::add);
    }
    children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    return children;
  }
}
