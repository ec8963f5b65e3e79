package dev.kiln.cli;

import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Fills a command's annotated fields from a command line without building picocli's model, which
 * costs a client ~0.2 s of its start (picocli reflects over every option and sets up its help and
 * converters before it parses). It reads the same annotations, so options stay declared once, and
 * takes only the plain forms: {@code --name VALUE}, {@code --name=VALUE}, {@code -n VALUE}, flags,
 * one positional parameter. Anything else (help, unknown or repeated single options,
 * {@code @files}, {@code --}, clustered short options, a type it does not know) gives empty, and
 * the caller runs picocli, whose answer, error message included, is then the one users see.
 */
final class QuickArgs {
  /** What {@link Option#defaultValue} holds when an option declares none. */
  private static final String NO_DEFAULT = "__no_default_value__";

  private QuickArgs() {}

  /** An option: the object holding its field, the field, and its annotation. */
  private record Target(Object owner, Field field, Option option) {}

  /** Fills {@code command} from {@code args}; whether it could (else picocli must). */
  static boolean fill(Object command, List<String> args) {
    try {
      return tryFill(command, args);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  private static boolean tryFill(Object command, List<String> args)
      throws ReflectiveOperationException {
    Map<String, Target> options = new HashMap<>();
    List<Target> all = new ArrayList<>();
    Optional<Field> positional = Optional.empty();
    List<Object> owners = new ArrayList<>(List.of(command));
    for (Field field : command.getClass().getDeclaredFields()) {
      if (field.isAnnotationPresent(Mixin.class)) {
        field.setAccessible(true);
        owners.add(field.get(command));
      }
    }
    for (Object owner : owners) {
      for (Field field : owner.getClass().getDeclaredFields()) {
        Option option = field.getAnnotation(Option.class);
        if (option != null) {
          field.setAccessible(true);
          Target target = new Target(owner, field, option);
          all.add(target);
          for (String name : option.names()) {
            options.put(name, target);
          }
        } else if (field.isAnnotationPresent(Parameters.class)) {
          if (positional.isPresent() || owner != command) {
            return false;
          }
          field.setAccessible(true);
          positional = Optional.of(field);
        }
      }
    }
    for (Target target : all) {
      String fallback = target.option().defaultValue();
      if (fallback.equals(NO_DEFAULT)) {
        continue;
      }
      if (fallback.equals(Option.NULL_VALUE) || !set(target, fallback)) {
        return false;
      }
    }
    Set<Field> given = new HashSet<>();
    boolean positionalGiven = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.startsWith("-") && !arg.equals("-")) {
        int eq = arg.indexOf('=');
        String name = eq > 0 && arg.startsWith("--") ? arg.substring(0, eq) : arg;
        Target target = options.get(name);
        if (target == null || target.option().help() || target.option().usageHelp()) {
          return false;
        }
        boolean flag = isFlag(target.field());
        String value;
        if (flag) {
          if (eq > 0 && arg.startsWith("--")) {
            return false;
          }
          value = "true";
        } else if (eq > 0 && arg.startsWith("--")) {
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.size() && !looksLikeOption(args.get(i + 1))) {
          value = args.get(++i);
        } else {
          return false; // a missing or option-like value: picocli says what it makes of it
        }
        boolean repeatable = target.field().getType() == List.class;
        if (!repeatable && !given.add(target.field())) {
          return false;
        }
        if (!set(target, value)) {
          return false;
        }
      } else {
        if (positional.isEmpty() || positionalGiven || arg.startsWith("@")) {
          return false;
        }
        if (positional.get().getType() != Optional.class
            || !typeArgument(positional.get()).equals(Path.class)) {
          return false;
        }
        positional.get().set(command, Optional.of(Path.of(arg)));
        positionalGiven = true;
      }
    }
    return true;
  }

  /** A value picocli might take for an option name: it decides what that means. */
  private static boolean looksLikeOption(String arg) {
    return arg.startsWith("-") && !arg.equals("-");
  }

  private static boolean isFlag(Field field) {
    return field.getType() == boolean.class;
  }

  /** Sets {@code target} from {@code text}; whether its type is one this reader knows. */
  @SuppressWarnings("unchecked")
  private static boolean set(Target target, String text) throws ReflectiveOperationException {
    Field field = target.field();
    Object owner = target.owner();
    Class<?> type = field.getType();
    if (type == boolean.class) {
      field.setBoolean(owner, Boolean.parseBoolean(text));
    } else if (type == int.class) {
      try {
        field.setInt(owner, Integer.parseInt(text));
      } catch (NumberFormatException e) {
        return false;
      }
    } else if (type == String.class) {
      field.set(owner, text);
    } else if (type == Optional.class) {
      Type element = typeArgument(field);
      if (element.equals(String.class)) {
        field.set(owner, Optional.of(text));
      } else if (element.equals(Path.class)) {
        field.set(owner, Optional.of(Path.of(text)));
      } else {
        return false;
      }
    } else if (type == List.class && typeArgument(field).equals(String.class)) {
      List<String> values = new ArrayList<>((List<String>) field.get(owner));
      String split = target.option().split();
      values.addAll(split.isEmpty() ? List.of(text) : List.of(text.split(split)));
      field.set(owner, values);
    } else {
      return false;
    }
    return true;
  }

  private static Type typeArgument(Field field) {
    Type generic = field.getGenericType();
    return generic instanceof ParameterizedType parameterized
        ? parameterized.getActualTypeArguments()[0]
        : Object.class;
  }
}
