package dev.creddy.anthropic.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as operators write them: {@code 32MB}, {@code 512KB}, {@code 1GB} or plain bytes. Units are
 * binary (1 MB = 1024 × 1024 bytes), as the JVM's own flags are. Stateless.
 */
public final class ByteSize {

    private static final Pattern SHAPE = Pattern.compile("([0-9]{1,19})\\s*([KMG]?B?)", Pattern.CASE_INSENSITIVE);

    private ByteSize() {
    }

    /** @throws IllegalArgumentException saying what a size looks like */
    public static long parse(String text) {
        Matcher matcher = SHAPE.matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a size: use bytes or KB, MB, GB, e.g. 32MB");
        }
        long shift = switch (matcher.group(2).toUpperCase(Locale.ROOT)) {
            case "", "B" -> 0;
            case "K", "KB" -> 10;
            case "M", "MB" -> 20;
            case "G", "GB" -> 30;
            default -> throw new IllegalArgumentException("not a size: use bytes or KB, MB, GB, e.g. 32MB");
        };
        long number;
        try {
            number = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size is too large");
        }
        if (number > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size is too large");
        }
        return number << shift;
    }

    /** The shortest exact form: {@code 32MB}, {@code 1536KB}, {@code 100B}. */
    public static String format(long bytes) {
        String[] units = {"B", "KB", "MB", "GB"};
        int unit = 0;
        while (unit < 3 && bytes != 0 && bytes % 1024 == 0) {
            bytes /= 1024;
            unit++;
        }
        return bytes + units[unit];
    }
}
