package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the bodies of an instruction's heredocs from the lines after it. Only RUN, COPY and ADD
 * (also as an ONBUILD trigger) in shell form take heredocs.
 */
final class HeredocReader {
  private static final Set<String> KEYWORDS = Set.of("run", "copy", "add");

  private HeredocReader() {}

  static boolean accepts(Instruction instruction) {
    Instruction target = instruction.child().orElse(instruction);
    return KEYWORDS.contains(target.keyword().toLowerCase(Locale.ROOT)) && !target.json();
  }

  /** The heredocs of {@code line}, their bodies consumed from {@code source}. */
  static List<Heredoc> read(LogicalLine line, SourceLines source) {
    List<Heredoc> heredocs = new ArrayList<>();
    for (HeredocMarker marker : HeredocMarker.find(line.text())) {
      String body =
          body(marker, source)
              .orElseThrow(() -> new LocatedError("unterminated heredoc", line.startLine()));
      heredocs.add(new Heredoc(marker.name(), body, marker.expand(), marker.chomp()));
    }
    return heredocs;
  }

  private static Optional<String> body(HeredocMarker marker, SourceLines source) {
    StringBuilder content = new StringBuilder();
    while (source.hasNext()) {
      String raw = source.next();
      String candidate = SourceLines.stripNewline(raw);
      if (marker.chomp()) {
        candidate = stripLeadingTabs(candidate);
      }
      if (candidate.equals(marker.name())) {
        return Optional.of(content.toString());
      }
      // <<- strips the tabs from the content too, so consumers need not repeat it
      content.append(marker.chomp() ? stripLeadingTabs(raw) : raw);
    }
    return Optional.empty();
  }

  private static String stripLeadingTabs(String s) {
    int i = 0;
    while (i < s.length() && s.charAt(i) == '\t') {
      i++;
    }
    return s.substring(i);
  }
}
