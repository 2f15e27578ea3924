package dev.creddy.anthropic.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.Setting;
import dev.creddy.anthropic.forward.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The reference pages say what the code does: each committed page equals what {@link ReferenceDocs}
 * makes from the code now. With {@code -Dcreddy.docs.write=true} it writes them instead (then commit).
 */
class ReferenceDocsTest {

    private static final Path ROOT = Path.of(".");

    @Test
    void theCommittedPagesAreWhatTheCodeSays() throws IOException {
        if (Boolean.getBoolean("creddy.docs.write")) {
            ReferenceDocs.main(new String[] {ROOT.toString()});
        }
        for (Map.Entry<Path, String> page : ReferenceDocs.pages(ROOT).entrySet()) {
            assertTrue(Files.isRegularFile(page.getKey()), page.getKey() + " is missing");
            assertEquals(page.getValue(), Files.readString(page.getKey(), StandardCharsets.UTF_8), page.getKey()
                    + " has drifted from the code: run ./mvnw -q test -Dtest=ReferenceDocsTest -Dcreddy.docs.write=true and commit it");
        }
    }

    @Test
    void everySettingSaysWhatItDoes() {
        List<String> undocumented = Arrays.stream(Setting.values()).filter(s -> s.description() == null || s.description().isBlank())
                .map(Setting::key).toList();
        assertEquals(List.of(), undocumented, "give these settings a description (and a flag, if the launcher takes one) in config/Setting");
    }

    @Test
    void everyOutcomeIsDescribed() {
        for (Outcome outcome : Outcome.values()) {
            assertTrue(outcome == Outcome.COMPLETED || AuditVocabulary.FAILURES.containsKey(outcome),
                    "describe " + outcome + " in AuditVocabulary.FAILURES");
        }
    }

    /** A documented reason that the code no longer writes is a lie in the table. */
    @Test
    void everyDocumentedReasonIsInTheCode() throws IOException {
        String code;
        try (Stream<Path> files = Files.walk(ROOT.resolve("src/main/java"))) {
            code = files.filter(f -> f.toString().endsWith(".java")).map(ReferenceDocsTest::read).collect(Collectors.joining("\n"));
        }
        for (String reason : AuditVocabulary.REASONS.keySet()) {
            assertTrue(code.contains("\"" + reason + "\""), "no code writes the reason " + reason);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void flagsAreUniqueAndLookLikeFlags() {
        List<String> flags = Arrays.stream(Setting.values()).map(Setting::flag).filter(f -> f != null).toList();
        assertEquals(flags.size(), flags.stream().distinct().count(), "two settings share a flag: " + flags);
        for (String flag : flags) {
            assertTrue(flag.matches("--[a-z][a-z0-9-]*"), flag);
        }
    }
}
