package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.ownership.MemoryObjectOwners;
import dev.creddy.anthropic.ownership.ObjectKind;
import dev.creddy.anthropic.ownership.ObjectOwners;
import dev.creddy.anthropic.ownership.Owner;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which bodies the file check reads, what it finds in them and how it judges what it found. */
class FileReferenceCheckTest {

    private static final TokenRecord ALICE = new TokenRecord(new TokenId("tok_fileCheckAlice00"), "alice", Instant.now(),
            Instant.now().plusSeconds(600));
    private final MemoryObjectOwners owners = new MemoryObjectOwners(Clock.systemUTC());

    private FileReferenceCheck check(String method, String path, String contentType, String coding, ObjectOwners store) {
        return FileReferenceCheck.forRequest(new ForwardedRequest(method, path, path, 1 << 20, ALICE, null, "127.0.0.1"),
                contentType, coding, store, Runnable::run);
    }

    private FileReferenceCheck check(String coding) {
        return check("POST", "/v1/messages", "application/json", coding, owners);
    }

    /** Every id the body names, in the order read, then whether the check refused it without asking. */
    private static String scan(FileReferenceCheck check, byte[] body) {
        List<String> ids = new ArrayList<>();
        for (int at = 0; at < body.length; at += 7) {
            ids.addAll(check.read(body, at, Math.min(7, body.length - at)));
        }
        ids.addAll(check.end());
        return String.join(",", ids) + check.refusal().map(refused -> " " + refused.error().status()).orElse("");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(textBlock = """
        POST, /v1/messages,               application/json,    true
        POST, /v1/messages/count_tokens,  application/json,    true
        POST, /v1/messages/batches,       application/json,    true
        POST, /v1/messages/,              application/json,    true
        POST, /v1/skills,                 multipart/form-data, false
        POST, /v1/files,                  multipart/form-data, false
        POST, /v1/complete,               application/json,    false
        GET,  /v1/messages/batches,       ,                    false
        POST, /v1/messages/batches/b1/cancel, ,                false
        """)
    void readsTheBodiesThatCanNameAFile(String method, String path, String contentType, boolean checked) {
        assertEquals(checked, check(method, path, contentType, null, owners) != null);
    }

    @Test
    void findsEachFileOnceAndLeavesOtherBodiesAlone() {
        byte[] body = ("{\"messages\":[{\"content\":[{\"source\":{\"file_id\":\"file_a\"}},{\"file_id\":\"file_b\"},"
                + "{\"source\":{\"file_id\":\"file_a\"}}]}],\"model\":\"m\"}").getBytes(StandardCharsets.UTF_8);
        assertEquals("file_a,file_b", scan(check(null), body));
        assertEquals("", scan(check(null), "{\"model\":\"m\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsThroughGzipAndGoesBlindOnCodingsItCannotDecode() throws IOException {
        byte[] body = "{\"m\":[{\"file_id\":\"file_z\"}]}".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(body);
        }
        assertEquals("file_z", scan(check("gzip"), zipped.toByteArray()));
        assertEquals("file_z", scan(check("identity, x-gzip"), zipped.toByteArray()));
        FileReferenceCheck brotli = check("br");
        assertTrue(brotli.blind());
        assertEquals(" 415", scan(brotli, body));
        assertEquals(" 415", scan(check("gzip, deflate"), zipped.toByteArray()));
        // Plain bytes said to be gzip: the scanner sees nothing whole, and the body is refused at its end.
        assertEquals(" 400", scan(check("gzip"), body));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        not JSON                  | {"max_tokens":NaN,"file_id":"file_x"}  | 400
        cut off                   | {"file_id":"file_x"                    | 400
        a value that is no id     | {"file_id":"%s"}                       | 404
        """)
    void refusesWhatItCannotRead(String name, String body, int status) {
        String text = body.replace("%s", "f".repeat(FileReferenceCheck.ID_LIMIT + 10));
        assertTrue(scan(check(null), text.getBytes(StandardCharsets.UTF_8)).endsWith(" " + status));
    }

    @Test
    void onlyTheCallersAgentsFilesPass() {
        owners.record(ObjectKind.FILE, "file_mine", Owner.of(ALICE));
        owners.record(ObjectKind.FILE, "file_bobs", "agent:bob");
        FileReferenceCheck check = check(null);
        assertEquals(Optional.empty(), check.owned(List.of("file_mine")).toCompletableFuture().join());
        RequestRefusedException bobs = check.owned(List.of("file_mine", "file_bobs")).toCompletableFuture().join().orElseThrow();
        assertEquals(404, bobs.error().status());
        assertEquals("not_found_error", bobs.error().type());
        assertTrue(bobs.error().message().contains("file_bobs"), bobs.error().message());
        RequestRefusedException unknown = check.owned(List.of("file_never")).toCompletableFuture().join().orElseThrow();
        assertEquals(bobs.error().message().replace("file_bobs", "file_never"), unknown.error().message(),
                "another agent's file and no file are refused alike");
        RequestRefusedException odd = check.owned(List.of("crd_secretlooking")).toCompletableFuture().join().orElseThrow();
        assertFalse(odd.error().message().contains("crd_"), "no token-shaped text is echoed: " + odd.error().message());
    }

    @Test
    void anOwnerStoreThatCannotAnswerRefusesWith503() {
        ObjectOwners down = new ObjectOwners() {
            @Override
            public CompletionStage<Void> record(ObjectKind kind, String id, String owner) {
                return CompletableFuture.failedFuture(new TokenStoreUnavailableException("down", null));
            }

            @Override
            public Optional<String> ownerOf(ObjectKind kind, String id) {
                throw new TokenStoreUnavailableException("down", null);
            }

            @Override
            public CompletionStage<Map<String, String>> ownersOf(ObjectKind kind, Collection<String> ids) {
                return CompletableFuture.failedFuture(new TokenStoreUnavailableException("down", null));
            }

            @Override
            public CompletionStage<Void> forget(ObjectKind kind, String id) {
                return CompletableFuture.failedFuture(new TokenStoreUnavailableException("down", null));
            }
        };
        RequestRefusedException refused = check("POST", "/v1/messages", "application/json", null, down)
                .owned(List.of("file_a")).toCompletableFuture().join().orElseThrow();
        assertEquals(503, refused.error().status());
    }
}
