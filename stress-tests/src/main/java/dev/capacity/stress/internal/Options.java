package dev.capacity.stress.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --name value} options of the stress programs' command lines. A name without its
 * value, a word where a name belongs or a name the program does not know is an
 * {@link IllegalArgumentException} that says which, before the program does anything. A name
 * given twice keeps its later value (the Maven executions pass defaults before the user's options).
 */
public final class Options {

    private Options() {}

    /** The options in {@code args}, by name (without the dashes), in the order given; each name one of {@code known}. */
    public static Map<String, String> parse(String[] args, String... known) {
        List<String> names = List.of(known);
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected an option --name where '" + args[i] + "' is; options: --"
                        + String.join(", --", names));
            }
            String name = args[i].substring(2);
            if (!names.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name + "; known: --" + String.join(", --", names));
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException("option --" + name + " has no value");
            }
            options.put(name, args[i + 1]);
        }
        return options;
    }
}
