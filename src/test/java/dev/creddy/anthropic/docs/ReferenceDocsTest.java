package dev.creddy.anthropic.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.Setting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The reference pages say what the code does: each committed page equals what {@link ReferenceDocs}
 * makes from the code now. With {@code -Dcreddy.docs.write=true} it writes them instead (then commit).
 */
class ReferenceDocsTest {

    private static final Path ROOT = Path.of(".");

    @Test
    void theCommittedPagesAreWhatTheCodeSays() throws IOException {
        boolean write = Boolean.getBoolean("creddy.docs.write");
        for (Map.Entry<Path, String> page : ReferenceDocs.pages(ROOT).entrySet()) {
            if (write) {
                ReferenceDocs.main(new String[] {ROOT.toString()});
            }
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
    void flagsAreUniqueAndLookLikeFlags() {
        List<String> flags = Arrays.stream(Setting.values()).map(Setting::flag).filter(f -> f != null).toList();
        assertEquals(flags.size(), flags.stream().distinct().count(), "two settings share a flag: " + flags);
        for (String flag : flags) {
            assertTrue(flag.matches("--[a-z][a-z0-9-]*"), flag);
        }
    }
}
