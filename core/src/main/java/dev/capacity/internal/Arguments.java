package dev.capacity.internal;

/**
 * Argument checks whose messages name the argument and the value. Not API.
 */
public final class Arguments {

    /** The longest resource id, holder id or idempotency key, in characters (code points). */
    public static final int MAX_ID_LENGTH = 200;

    private Arguments() {}

    public static <T> T requireNonNull(T value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    /**
     * Checks an id: not null, not blank, at most {@value #MAX_ID_LENGTH} characters, and only
     * printable text (no control characters, no unpaired surrogates), so that every database
     * stores exactly what was given. Blank means nothing visible: only whitespace, Unicode
     * spaces (such as U+00A0 or U+2003) and invisible format characters (such as U+200B or
     * U+FEFF). Other format characters inside a visible id (a zero-width joiner, a
     * right-to-left mark) are kept as they are.
     */
    public static String requireId(String value, String name) {
        requireNonNull(value, name);
        if (isBlank(value)) {
            throw new IllegalArgumentException(name + " must not be blank, was '" + value + "'");
        }
        int length = value.codePointCount(0, value.length());
        if (length > MAX_ID_LENGTH) {
            throw new IllegalArgumentException(
                    name + " must be at most " + MAX_ID_LENGTH + " characters, was " + length);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(String.format(
                        "%s must not contain control characters, found U+%04X at index %d", name, (int) c, i));
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format(
                        "%s must be valid Unicode text, found an unpaired surrogate U+%04X at index %d",
                        name, (int) c, i));
            }
        }
        return value;
    }

    /** Whether {@code value} has no visible character: see {@link #requireId}. */
    private static boolean isBlank(String value) {
        // a loop, not codePoints(): this runs on every request, and the stream cost a fifth of an in-memory reserve
        for (int i = 0; i < value.length(); ) {
            int c = value.codePointAt(i);
            if (!Character.isWhitespace(c) && !Character.isSpaceChar(c) && Character.getType(c) != Character.FORMAT) {
                return false;
            }
            i += Character.charCount(c);
        }
        return true;
    }

    public static int requirePositive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
        return value;
    }

    public static long requirePositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
        return value;
    }

    public static long requireNonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, was " + value);
        }
        return value;
    }

    public static void requireArgument(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(format, args));
        }
    }

    /** A per-holder limit: positive; {@link Long#MAX_VALUE} means no limit. */
    public static long requireLimit(long maxUnits, String name) {
        requireArgument(maxUnits > 0, "%s must be positive (Long.MAX_VALUE for no limit), was %d", name, maxUnits);
        return maxUnits;
    }
}
