package dev.kiln.cli;

import java.util.regex.Pattern;

/**
 * The secret ids that can travel to a daemon: they name entries of the upload, so they are kept to
 * letters, digits, dots, dashes and underscores.
 */
public final class SecretIds {
  /** The form, as error messages show it. */
  public static final String FORM = "letters, digits, '.', '-' and '_' (at most 128)";

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

  private SecretIds() {}

  public static boolean valid(String id) {
    return VALID.matcher(id).matches();
  }
}
