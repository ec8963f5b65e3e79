package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;

/** The arguments an argument parser produced (BuildKit's {@code Node.Next} chain) and its form. */
record Args(List<String> values, boolean json) {
  static final Args NONE = new Args(List.of(), false);

  Args {
    values = List.copyOf(values);
  }

  static Args of(String... values) {
    return new Args(List.of(values), false);
  }

  Args prepend(String value) {
    List<String> all = new ArrayList<>(values.size() + 1);
    all.add(value);
    all.addAll(values);
    return new Args(all, json);
  }
}
