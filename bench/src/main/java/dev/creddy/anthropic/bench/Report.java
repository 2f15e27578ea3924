package dev.creddy.anthropic.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The results as Markdown: sections of text and tables, plus the table of targets, which goes
 * first. Confined to the thread that runs the benchmark.
 */
final class Report {

    private final StringBuilder body = new StringBuilder();
    private final List<String[]> targets = new ArrayList<>();

    void heading(String title) {
        body.append("\n### ").append(title).append("\n\n");
    }

    void text(String text) {
        body.append(text).append("\n\n");
    }

    void table(String[] header, List<String[]> rows) {
        body.append('|');
        for (String cell : header) {
            body.append(' ').append(cell).append(" |");
        }
        body.append("\n|");
        for (int i = 0; i < header.length; i++) {
            body.append("---|");
        }
        body.append('\n');
        for (String[] row : rows) {
            body.append('|');
            for (String cell : row) {
                body.append(' ').append(cell).append(" |");
            }
            body.append('\n');
        }
        body.append('\n');
    }

    /** One line of the targets table. */
    void target(String what, String goal, String measured, boolean met) {
        targets.add(new String[] {what, goal, measured, met ? "met" : "**missed**"});
    }

    String markdown(String preamble) {
        StringBuilder all = new StringBuilder(preamble);
        if (!targets.isEmpty()) {
            all.append("\n### Against the targets\n\n| What | Target | Measured | |\n|---|---|---|---|\n");
            for (String[] row : targets) {
                all.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
        }
        return all.append(body).toString();
    }

    void write(Path file, String preamble) throws IOException {
        Files.writeString(file, markdown(preamble));
    }

    static String ms(double nanos) {
        return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }

    static String us(double nanos) {
        return String.format(Locale.ROOT, "%+.0f µs", nanos / 1e3);
    }

    static String num(double value, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    static String ratio(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.2f×", value) : "n/a";
    }
}
