package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponse;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.NotFoundException;
import com.anthropic.models.beta.files.BetaFileMetadata;
import com.anthropic.models.beta.files.FileUploadParams;
import com.anthropic.models.messages.batches.BatchCreateParams;
import com.anthropic.models.messages.batches.BatchListPage;
import com.anthropic.models.messages.batches.BatchListParams;
import com.anthropic.models.messages.batches.MessageBatch;
import com.anthropic.models.messages.batches.MessageBatchIndividualResponse;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeWorkspace;
import dev.creddy.anthropic.it.support.ProxyHttp;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, S8: files and Message Batches belong to the agent that created them through the proxy.
 * Two agents, Alice (two tokens) and Bob, and one workspace in the fake upstream that, like the real
 * API, knows nothing of agents. Bob cannot read, download, delete, cancel or fetch the results of
 * Alice's objects (404, as for an id that does not exist, and nothing reaches the upstream), his
 * listings hold only his own, Alice's second token reaches what her first created, and an object
 * the proxy did not see created is nobody's. Run against one deployment with the memory store and
 * against two instances sharing Redis (the second reads what the first recorded).
 */
@Timeout(120)
abstract class ObjectOwnershipContract {

    static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    /** The instance the objects are created on. */
    abstract String creatingBase();

    /** The instance the other calls go to (the same one, with the memory store). */
    abstract String readingBase();

    private FakeWorkspace workspace;
    private String alice;
    private String aliceAgain;
    private String bob;

    @BeforeEach
    void agents() throws Exception {
        UPSTREAM.reset();
        workspace = new FakeWorkspace();
        UPSTREAM.respondWith(workspace);
        ProxyHttp issuing = new ProxyHttp(creatingBase());
        String suffix = Long.toHexString(System.nanoTime());
        alice = issuing.issueTokenForEveryEndpoint("alice-" + suffix, "10m");
        aliceAgain = issuing.issueTokenForEveryEndpoint("alice-" + suffix, "10m");
        bob = issuing.issueTokenForEveryEndpoint("bob-" + suffix, "10m");
    }

    private static AnthropicClient sdk(String base, String token) {
        return AnthropicOkHttpClient.builder().baseUrl(base).apiKey(token).maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    private static BetaFileMetadata upload(AnthropicClient client, String content) {
        return client.beta().files().upload(FileUploadParams.builder().file(content.getBytes(StandardCharsets.UTF_8)).build());
    }

    private static MessageBatch createBatch(AnthropicClient client) {
        return client.messages().batches().create(BatchCreateParams.builder()
                .addRequest(BatchCreateParams.Request.builder().customId("only")
                        .params(BatchCreateParams.Request.Params.builder().model("claude-sonnet-4-5").maxTokens(16L)
                                .addUserMessage("Hello").build())
                        .build())
                .build());
    }

    /** A refusal the proxy answers itself: NotFound in the SDK, and the upstream never asked. */
    private static void assertNotFoundBeforeUpstream(Executable call) {
        int before = UPSTREAM.pendingRequests();
        NotFoundException refused = assertThrows(NotFoundException.class, call::execute);
        assertTrue(refused.getMessage().contains("not_found_error"), refused.getMessage());
        assertEquals(before, UPSTREAM.pendingRequests(), "the proxy answered; nothing went upstream");
    }

    @FunctionalInterface
    interface Executable {
        void execute() throws Throwable;
    }

    @Test
    void anotherAgentCannotReachAFileOrItsContent() throws Exception {
        AnthropicClient aliceSdk = sdk(creatingBase(), alice);
        AnthropicClient bobSdk = sdk(readingBase(), bob);
        BetaFileMetadata file = upload(aliceSdk, "alice's notes");
        UPSTREAM.takeRequest();

        assertNotFoundBeforeUpstream(() -> bobSdk.beta().files().retrieveMetadata(file.id()));
        assertNotFoundBeforeUpstream(() -> bobSdk.beta().files().download(file.id()).close());
        assertNotFoundBeforeUpstream(() -> bobSdk.beta().files().delete(file.id()));
        assertTrue(workspace.hasFile(file.id()), "Bob's delete never reached the workspace");

        // Every token of the same agent shares its objects, on either instance.
        AnthropicClient aliceAgainSdk = sdk(readingBase(), aliceAgain);
        assertEquals(file.id(), aliceAgainSdk.beta().files().retrieveMetadata(file.id()).id());
        try (HttpResponse download = aliceAgainSdk.beta().files().download(file.id())) {
            assertArrayEquals("alice's notes".getBytes(StandardCharsets.UTF_8), download.body().readAllBytes());
        }
        aliceAgainSdk.beta().files().delete(file.id());
        assertFalse(workspace.hasFile(file.id()));
        // The record went with the file: a new call is the proxy's own 404, not the upstream's.
        UPSTREAM.reset();
        UPSTREAM.respondWith(workspace);
        assertNotFoundBeforeUpstream(() -> aliceSdk.beta().files().retrieveMetadata(file.id()));
    }

    @Test
    void anotherAgentCannotReachABatchItsCancelOrItsResults() throws Exception {
        AnthropicClient aliceSdk = sdk(creatingBase(), alice);
        AnthropicClient bobSdk = sdk(readingBase(), bob);
        MessageBatch batch = createBatch(aliceSdk);
        UPSTREAM.takeRequest();

        assertNotFoundBeforeUpstream(() -> bobSdk.messages().batches().retrieve(batch.id()));
        assertNotFoundBeforeUpstream(() -> bobSdk.messages().batches().cancel(batch.id()));
        assertNotFoundBeforeUpstream(() -> bobSdk.messages().batches().delete(batch.id()));
        ProxyHttp raw = new ProxyHttp(readingBase());
        java.net.http.HttpResponse<String> results = raw.send(raw.request("/v1/messages/batches/" + batch.id() + "/results")
                .header("x-api-key", bob).GET().build());
        assertEquals(404, results.statusCode(), results.body());
        assertEquals("not_found_error", Json.createReader(new StringReader(results.body())).readObject()
                .getJsonObject("error").getString("type"));
        assertEquals(0, UPSTREAM.pendingRequests());

        AnthropicClient aliceAgainSdk = sdk(readingBase(), aliceAgain);
        MessageBatch cancelled = aliceAgainSdk.messages().batches().cancel(batch.id());
        assertEquals(MessageBatch.ProcessingStatus.ENDED, cancelled.processingStatus());
        UPSTREAM.takeRequest();
        List<String> answers = new ArrayList<>();
        try (StreamResponse<MessageBatchIndividualResponse> lines = aliceAgainSdk.messages().batches().resultsStreaming(batch.id())) {
            lines.stream().forEach(line -> answers.add(line.result().asSucceeded().message().content().get(0).asText().text()));
        }
        assertEquals(List.of("the answer for " + batch.id()), answers);
    }

    @Test
    void listingsHoldOnlyTheCallersOwnObjects() throws Exception {
        AnthropicClient aliceSdk = sdk(creatingBase(), alice);
        AnthropicClient bobSdk = sdk(creatingBase(), bob);
        String aliceFile = upload(aliceSdk, "a").id();
        String bobFile = upload(bobSdk, "b").id();
        String foreign = workspace.addFile("console.txt", "made with the real key");
        String aliceBatch = createBatch(aliceSdk).id();
        String bobBatch = createBatch(bobSdk).id();

        assertEquals(Set.of(bobFile), bobSdk.beta().files().list().data().stream().map(BetaFileMetadata::id)
                .collect(Collectors.toSet()));
        assertEquals(Set.of(aliceFile), sdk(readingBase(), aliceAgain).beta().files().list().data().stream()
                .map(BetaFileMetadata::id).collect(Collectors.toSet()));
        assertEquals(List.of(bobBatch), bobSdk.messages().batches().list().data().stream().map(MessageBatch::id).toList());
        BatchListPage alicesBatches = sdk(readingBase(), aliceAgain).messages().batches().list();
        assertEquals(List.of(aliceBatch), alicesBatches.data().stream().map(MessageBatch::id).toList());
        assertEquals(aliceBatch, alicesBatches.firstId().orElseThrow());
        assertEquals(aliceBatch, alicesBatches.lastId().orElseThrow());
        assertFalse(foreign.isEmpty());
    }

    @Test
    void pagesAreFilteredAndTheirCursorsNameOnlyTheCallersObjects() throws Exception {
        AnthropicClient aliceSdk = sdk(creatingBase(), alice);
        AnthropicClient bobSdk = sdk(creatingBase(), bob);
        // Newest first, the workspace lists: b3 a3 b2 a2 b1 a1.
        List<String> alices = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            alices.add(0, createBatch(aliceSdk).id());
            createBatch(bobSdk);
        }
        ProxyHttp raw = new ProxyHttp(readingBase());
        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        boolean hasMore = true;
        while (hasMore && pages++ < 10) {
            java.net.http.HttpResponse<String> page = raw.send(raw.request("/v1/messages/batches?limit=2"
                    + (after == null ? "" : "&after_id=" + after)).header("x-api-key", aliceAgain).GET().build());
            assertEquals(200, page.statusCode(), page.body());
            JsonObject body = Json.createReader(new StringReader(page.body())).readObject();
            List<String> ids = body.getJsonArray("data").stream().map(v -> v.asJsonObject().getString("id")).toList();
            assertEquals(1, ids.size(), "each page of two holds one of Alice's and one of Bob's: " + page.body());
            assertEquals(ids.get(0), body.getString("first_id"));
            assertEquals(ids.get(ids.size() - 1), body.getString("last_id"));
            seen.addAll(ids);
            hasMore = body.getBoolean("has_more");
            after = body.getString("last_id");
        }
        assertEquals(alices, seen, "paging on from last_id reaches each of Alice's batches once, in order");
        // The SDK's own pager walks the same pages.
        List<String> paged = new ArrayList<>();
        sdk(readingBase(), alice).messages().batches().list(BatchListParams.builder().limit(2L).build()).autoPager()
                .forEach(batch -> paged.add(batch.id()));
        assertEquals(alices, paged);
    }

    @Test
    void anObjectTheProxyDidNotSeeCreatedIsNobodys() throws Exception {
        String foreign = workspace.addFile("console.txt", "made with the real key");
        String foreignBatch = workspace.addBatch();
        AnthropicClient aliceSdk = sdk(readingBase(), alice);
        assertNotFoundBeforeUpstream(() -> aliceSdk.beta().files().retrieveMetadata(foreign));
        assertNotFoundBeforeUpstream(() -> aliceSdk.beta().files().download(foreign).close());
        assertNotFoundBeforeUpstream(() -> aliceSdk.messages().batches().retrieve(foreignBatch));
        assertNotFoundBeforeUpstream(() -> aliceSdk.beta().files().retrieveMetadata("file_011Cnever"));
    }

    @Test
    void anotherSpellingOfTheObjectPathsReachesNothing() throws Exception {
        String file = upload(sdk(creatingBase(), alice), "a").id();
        UPSTREAM.takeRequest();
        ProxyHttp raw = new ProxyHttp(readingBase());
        for (String path : List.of("/v1/files/" + file + "/", "/v1/files/", "/v1/messages/batches/", "/v1/files/" + file + "/content/x")) {
            java.net.http.HttpResponse<String> answer = raw.send(raw.request(path).header("x-api-key", bob).GET().build());
            assertEquals(404, answer.statusCode(), path + ": " + answer.body());
        }
        assertEquals(0, UPSTREAM.pendingRequests(), "no spelling reached the workspace");
    }

    @Test
    void anUnnamedTokenSharesWithNoOtherUnnamedToken() throws Exception {
        ProxyHttp issuing = new ProxyHttp(creatingBase());
        String first = tokenOf(issuing.requestToken("{\"ttl\":\"10m\",\"endpoints\":null}").body());
        String second = tokenOf(issuing.requestToken("{\"ttl\":\"10m\",\"endpoints\":null}").body());
        String file = upload(sdk(creatingBase(), first), "mine").id();
        UPSTREAM.takeRequest();
        assertNotFoundBeforeUpstream(() -> sdk(readingBase(), second).beta().files().retrieveMetadata(file));
        assertEquals(file, sdk(readingBase(), first).beta().files().retrieveMetadata(file).id());
    }

    // --- files a request body names (S8) ----------------------------------------------------------

    private static com.anthropic.models.messages.ContentBlockParam document(String fileId) {
        return com.anthropic.models.messages.ContentBlockParam.ofDocument(
                com.anthropic.models.messages.DocumentBlockParam.builder().fileSource(fileId).build());
    }

    private static com.anthropic.models.messages.MessageCreateParams reading(String fileId) {
        return com.anthropic.models.messages.MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(16L)
                .addUserMessageOfContentBlockParams(List.of(document(fileId),
                        com.anthropic.models.messages.ContentBlockParam.ofText(
                                com.anthropic.models.messages.TextBlockParam.builder().text("Summarise it").build())))
                .build();
    }

    /** A raw POST of {@code body} to {@code path} with {@code token}. */
    private java.net.http.HttpResponse<String> post(String path, String token, String body) throws Exception {
        ProxyHttp raw = new ProxyHttp(readingBase());
        return raw.send(raw.request(path).header("x-api-key", token).header("content-type", "application/json")
                .header("anthropic-beta", "files-api-2025-04-14")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static void assertRefusedNaming(java.net.http.HttpResponse<String> answer, int status, String type, String named) {
        assertEquals(status, answer.statusCode(), answer.body());
        JsonObject error = Json.createReader(new StringReader(answer.body())).readObject().getJsonObject("error");
        assertEquals(type, error.getString("type"), answer.body());
        if (named != null) {
            assertTrue(error.getString("message").contains(named), answer.body());
        }
    }

    @Test
    void aRequestNamingAnotherAgentsFileNeverReachesTheUpstream() throws Exception {
        AnthropicClient aliceSdk = sdk(creatingBase(), alice);
        AnthropicClient bobSdk = sdk(readingBase(), bob);
        String file = upload(aliceSdk, "alice's plans").id();
        UPSTREAM.takeRequest();

        NotFoundException refused = assertThrows(NotFoundException.class, () -> bobSdk.messages().create(reading(file)));
        assertTrue(refused.getMessage().contains(file), "the refusal names the file: " + refused.getMessage());
        assertNotFoundBeforeUpstream(() -> bobSdk.messages().countTokens(com.anthropic.models.messages.MessageCountTokensParams
                .builder().model("claude-sonnet-4-5").addUserMessageOfContentBlockParams(List.of(document(file))).build()));
        assertNotFoundBeforeUpstream(() -> bobSdk.messages().batches().create(BatchCreateParams.builder()
                .addRequest(BatchCreateParams.Request.builder().customId("steal")
                        .params(BatchCreateParams.Request.Params.builder().model("claude-sonnet-4-5").maxTokens(16L)
                                .addUserMessageOfContentBlockParams(List.of(document(file))).build())
                        .build())
                .build()));
        // An id nobody uploaded, and one uploaded with the real key, are refused the same way.
        assertNotFoundBeforeUpstream(() -> bobSdk.messages().create(reading("file_011Cnever")));
        String foreign = workspace.addFile("console.txt", "made with the real key");
        assertNotFoundBeforeUpstream(() -> aliceSdk.messages().create(reading(foreign)));
        assertEquals(0, UPSTREAM.pendingRequests(), "not even a request line went up");

        // Alice's own file goes through, from her other token too.
        com.anthropic.models.messages.Message answer = sdk(readingBase(), aliceAgain).messages().create(reading(file));
        assertEquals("msg_fake_01", answer.id());
        assertTrue(UPSTREAM.takeRequest().bodyText().contains(file));
    }

    @Test
    void noSpellingOfAFileReferenceGetsPastTheCheck() throws Exception {
        String alices = upload(sdk(creatingBase(), alice), "alice's").id();
        String bobs = upload(sdk(creatingBase(), bob), "bob's").id();
        UPSTREAM.takeRequest();
        UPSTREAM.takeRequest();
        String head = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":[";
        String tail = "]}]}";
        List<String> tricks = List.of(
                // An escaped key, an escaped value.
                "{\"type\":\"document\",\"source\":{\"type\":\"file\",\"file\\u005fid\":\"" + alices + "\"}}",
                "{\"type\":\"document\",\"source\":{\"type\":\"file\",\"file_id\":\"" + alices.replace("_", "\\u005f") + "\"}}",
                // The key twice: Bob's own first, Alice's second (a parser may keep either).
                "{\"type\":\"document\",\"source\":{\"type\":\"file\",\"file_id\":\"" + bobs + "\",\"file_id\":\"" + alices + "\"}}",
                // An image inside a tool_result, a container upload, a document in a content source.
                "{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"file\","
                        + "\"file_id\":\"" + alices + "\"}}]}",
                "{\"type\":\"container_upload\",\"file_id\":\"" + alices + "\"}",
                "{\"type\":\"document\",\"source\":{\"type\":\"content\",\"content\":[{\"type\":\"image\",\"source\":"
                        + "{\"type\":\"file\",\"file_id\":\"" + alices + "\"}}]}}");
        for (String block : tricks) {
            assertRefusedNaming(post("/v1/messages", bob, head + block + tail), 404, "not_found_error", "not found");
        }
        // Another spelling of the endpoint, and count_tokens.
        String plain = "{\"type\":\"document\",\"source\":{\"type\":\"file\",\"file_id\":\"" + alices + "\"}}";
        assertRefusedNaming(post("/v1/messages/", bob, head + plain + tail), 404, "not_found_error", alices);
        assertRefusedNaming(post("/v1/messages/count_tokens", bob, head + plain + tail), 404, "not_found_error", alices);
        // A body the check cannot read is not forwarded either: not JSON (the upstream might read it more leniently).
        assertRefusedNaming(post("/v1/messages", bob, (head + plain + tail).replace("\"max_tokens\":16", "\"max_tokens\":NaN")),
                400, "invalid_request_error", "not valid JSON");
        assertEquals(0, UPSTREAM.pendingRequests(), "nothing reached the workspace");
    }

    @Test
    void aCompressedBodyIsReadForItsFilesAndOneTheProxyCannotDecodeIsRefused() throws Exception {
        String alices = upload(sdk(creatingBase(), alice), "alice's").id();
        UPSTREAM.takeRequest();
        String body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"document\",\"source\":{\"type\":\"file\",\"file_id\":\"" + alices + "\"}}]}]}";
        byte[] compressed = CompressedBodiesIT.gzip(body.getBytes(StandardCharsets.UTF_8));
        ProxyHttp raw = new ProxyHttp(readingBase());
        for (String coding : List.of("gzip", "identity, gzip")) {
            java.net.http.HttpResponse<String> answer = raw.send(raw.request("/v1/messages").header("x-api-key", bob)
                    .header("content-type", "application/json").header("content-encoding", coding)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(compressed)).build());
            assertRefusedNaming(answer, 404, "not_found_error", alices);
        }
        java.net.http.HttpResponse<String> brotli = raw.send(raw.request("/v1/messages").header("x-api-key", bob)
                .header("content-type", "application/json").header("content-encoding", "br")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(compressed)).build());
        assertRefusedNaming(brotli, 415, "invalid_request_error", "br");
        assertEquals(0, UPSTREAM.pendingRequests());

        // Alice's gzip body goes up as she sent it.
        java.net.http.HttpResponse<String> own = raw.send(raw.request("/v1/messages").header("x-api-key", aliceAgain)
                .header("content-type", "application/json").header("content-encoding", "gzip")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(compressed)).build());
        assertEquals(200, own.statusCode(), own.body());
        assertArrayEquals(compressed, UPSTREAM.takeRequest().body());
    }

    @Test
    void aBodyNamingOnlyTheAgentsOwnFilesIsForwardedByteForByte() throws Exception {
        String first = upload(sdk(creatingBase(), alice), "one").id();
        String second = upload(sdk(creatingBase(), aliceAgain), "two").id();
        UPSTREAM.takeRequest();
        UPSTREAM.takeRequest();
        // Odd spacing, an escaped key, the same file twice, and a large text between them so that the
        // second file comes after the first 64 KB (the upload is under way when it is checked).
        String body = "{ \"messages\" : [ {\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"file\","
                + "\"file_id\":\"" + first + "\"}},{\"type\":\"text\",\"text\":\"" + "caf\\u00e9 ".repeat(20_000) + "\"},"
                + "{\"type\":\"image\",\"source\":{\"type\":\"file\",\"file\\u005fid\":\"" + second + "\"}},"
                + "{\"type\":\"document\",\"source\":{\"type\":\"file\",\"file_id\":\"" + first + "\"}}]}],"
                + "\"max_tokens\":16,\"model\":\"claude-sonnet-4-5\"}\n";
        java.net.http.HttpResponse<String> answer = post("/v1/messages", aliceAgain, body);
        assertEquals(200, answer.statusCode(), answer.body());
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), UPSTREAM.takeRequest().body(), "the body went up unchanged");

        // The same body naming Bob's file after the first 64 KB: the upload under way never ends.
        String bobs = upload(sdk(creatingBase(), bob), "bob's").id();
        UPSTREAM.takeRequest();
        java.net.http.HttpResponse<String> refused = post("/v1/messages", alice, body.replace("\"" + second + "\"", "\"" + bobs + "\""));
        assertRefusedNaming(refused, 404, "not_found_error", bobs);
        Thread.sleep(300);
        for (int i = UPSTREAM.pendingRequests(); i > 0; i--) {
            assertFalse(UPSTREAM.takeRequest().bodyText().contains(bobs), "a request that named Bob's file never arrived whole");
        }
    }

    @Test
    void theSdksAutoPagerCrossesPagesThatHoldOnlyAnotherAgentsObjects() throws Exception {
        AnthropicClient aliceSdk = sdk(creatingBase(), alice);
        AnthropicClient bobSdk = sdk(creatingBase(), bob);
        // Oldest first a1 b1 b2 a2 a3 a4 b3 b4; pages of two, newest first: [b4 b3] [a4 a3] [a2 b2] [b1 a1].
        List<String> alices = new ArrayList<>();
        alices.add(0, createBatch(aliceSdk).id());
        createBatch(bobSdk);
        createBatch(bobSdk);
        for (int i = 0; i < 3; i++) {
            alices.add(0, createBatch(aliceSdk).id());
        }
        createBatch(bobSdk);
        createBatch(bobSdk);
        List<String> paged = new ArrayList<>();
        sdk(readingBase(), aliceAgain).messages().batches().list(BatchListParams.builder().limit(2L).build()).autoPager()
                .forEach(batch -> paged.add(batch.id()));
        assertEquals(alices, paged, "every one of Alice's batches, once, in order, past the pages of Bob's");

        // The first page: Bob's two are skipped upstream, and the page found is cut to the limit.
        ProxyHttp raw = new ProxyHttp(readingBase());
        JsonObject first = listing(raw, "/v1/messages/batches?limit=2");
        assertEquals(alices.subList(0, 2), ids(first));
        assertTrue(first.getBoolean("has_more"));
        assertEquals(alices.get(1), first.getString("last_id"));
        // Paging back from Alice's oldest: [b2 b1] holds none of hers; the two nearest the cursor come back.
        JsonObject back = listing(raw, "/v1/messages/batches?limit=2&before_id=" + alices.get(3));
        assertEquals(alices.subList(1, 3), ids(back));
        assertTrue(back.getBoolean("has_more"));
        assertEquals(alices.get(1), back.getString("first_id"));

        // Files page the same way (by after_id, as the API documents; this SDK's file pager asks for an
        // opaque next_page instead, which the fake workspace does not give).
        List<String> files = new ArrayList<>();
        files.add(0, upload(aliceSdk, "1").id());
        upload(bobSdk, "x");
        upload(bobSdk, "y");
        upload(bobSdk, "z");
        files.add(0, upload(aliceSdk, "2").id());
        List<String> listed = new ArrayList<>();
        String after = null;
        for (int page = 0; page < 5; page++) {
            JsonObject files2 = listing(raw, "/v1/files?limit=2" + (after == null ? "" : "&after_id=" + after));
            listed.addAll(ids(files2));
            if (!files2.getBoolean("has_more") || files2.isNull("last_id")) {
                break;
            }
            after = files2.getString("last_id");
        }
        assertEquals(files, listed);
    }

    @Test
    void afterTenFurtherPagesOfOthersAnEmptyPageNamesNoObject() throws Exception {
        String mine = createBatch(sdk(creatingBase(), alice)).id();
        // The proxy reads at most ten further pages of 1,000 after the client's own page of three.
        String oldestOther = workspace.addBatch();
        for (int i = 1; i < 3 + 10 * 1000 + 2; i++) {
            workspace.addBatch();
        }
        ProxyHttp raw = new ProxyHttp(readingBase());
        JsonObject page = listing(raw, "/v1/messages/batches?limit=3");
        assertEquals(List.of(), ids(page));
        assertTrue(page.getBoolean("has_more"), "more of the workspace follows");
        assertTrue(page.isNull("first_id") && page.isNull("last_id"), "no other agent's id is named: " + page.get("last_id"));
        // Listed on from past the others, Alice's batch is there.
        assertEquals(List.of(mine), ids(listing(raw, "/v1/messages/batches?limit=1000&after_id=" + oldestOther)));
    }

    private JsonObject listing(ProxyHttp raw, String path) throws Exception {
        java.net.http.HttpResponse<String> answer = raw.send(raw.request(path).header("x-api-key", aliceAgain).GET().build());
        assertEquals(200, answer.statusCode(), answer.body());
        return Json.createReader(new StringReader(answer.body())).readObject();
    }

    private static List<String> ids(JsonObject page) {
        return page.getJsonArray("data").stream().map(v -> v.asJsonObject().getString("id")).toList();
    }

    private static String tokenOf(String issued) {
        return Json.createReader(new StringReader(issued)).readObject().getString("token");
    }
}
