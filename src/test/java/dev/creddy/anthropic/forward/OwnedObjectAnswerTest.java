package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.ownership.MemoryObjectOwners;
import dev.creddy.anthropic.ownership.ObjectKind;
import dev.creddy.anthropic.ownership.Owner;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRecord;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The answers of creating, deleting and listing files and batches, with the memory store. */
class OwnedObjectAnswerTest {

    private static final JsonProvider JSON = JsonProvider.provider();
    private final MemoryObjectOwners owners = new MemoryObjectOwners(Clock.systemUTC());
    private final TokenRecord alice = token("alice");
    private final TokenRecord bob = token("bob");

    private static int tokens;

    private static TokenRecord token(String agent) {
        String id = "tok_" + String.format("%016d", ++tokens);
        return new TokenRecord(new TokenId(id), agent, Instant.now(), Instant.now().plusSeconds(600));
    }

    private HeldAnswer answerFor(TokenRecord caller, String method, String path) {
        return OwnedObjectAnswer.forRequest(new ForwardedRequest(method, path, path, 1024, caller, null, "127.0.0.1"), null,
                owners, JSON);
    }

    private static String answer(HeldAnswer held, String body) {
        return new String(held.answer(body.getBytes(StandardCharsets.UTF_8)).toCompletableFuture().join(), StandardCharsets.UTF_8);
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    @Test
    void aCreateRecordsTheNewObjectAsTheCallersAgentsAndPassesTheBodyUnchanged() {
        String body = "{\"id\":\"file_1\",\"type\":\"file\"}";
        assertEquals(body, answer(answerFor(alice, "POST", "/v1/files"), body));
        assertEquals(Optional.of(Owner.of(alice)), owners.ownerOf(ObjectKind.FILE, "file_1"));
        answer(answerFor(bob, "POST", "/v1/messages/batches"), "{\"id\":\"msgbatch_1\",\"type\":\"message_batch\"}");
        assertEquals(Optional.of(Owner.of(bob)), owners.ownerOf(ObjectKind.BATCH, "msgbatch_1"));
    }

    @Test
    void aListingKeepsOnlyTheCallersObjectsWithCursorsOfItsOwn() {
        owners.record(ObjectKind.FILE, "f3", Owner.of(alice));
        owners.record(ObjectKind.FILE, "f2", Owner.of(bob));
        owners.record(ObjectKind.FILE, "f1", Owner.of(alice));
        String page = "{\"data\":[{\"id\":\"f4\"},{\"id\":\"f3\"},{\"id\":\"f2\"},{\"id\":\"f1\"},{\"id\":\"f0\"}],"
                + "\"has_more\":true,\"first_id\":\"f4\",\"last_id\":\"f0\",\"extra\":7}";
        JsonObject filtered = json(answer(answerFor(alice, "GET", "/v1/files"), page));
        assertEquals(2, filtered.getJsonArray("data").size());
        assertEquals("f3", filtered.getString("first_id"));
        assertEquals("f1", filtered.getString("last_id"));
        assertTrue(filtered.getBoolean("has_more"), "more of the workspace follows");
        assertEquals(7, filtered.getInt("extra"), "other members pass unchanged");

        JsonObject none = json(answer(answerFor(token("carol"), "GET", "/v1/files"), page));
        assertEquals(0, none.getJsonArray("data").size());
        assertTrue(none.isNull("first_id") && none.isNull("last_id"), "an empty page names no one's object: " + none);
    }

    @Test
    void aListingThatIsNotTheListShapeIsRefusedNotShown() {
        HeldAnswer listing = answerFor(alice, "GET", "/v1/messages/batches");
        assertFalse(listing.mayPassUnheld(), "a listing is never shown unfiltered");
        for (String body : new String[] {"[1,2]", "{\"data\":{}}", "not json"}) {
            CompletionException refused = assertThrows(CompletionException.class,
                    () -> listing.answer(body.getBytes(StandardCharsets.UTF_8)).toCompletableFuture().join());
            RequestRefusedException error = assertInstanceOf(RequestRefusedException.class, refused.getCause());
            assertEquals(502, error.error().status());
        }
    }

    @Test
    void aDeleteForgetsTheObject() {
        owners.record(ObjectKind.BATCH, "msgbatch_1", Owner.of(alice));
        answer(answerFor(alice, "DELETE", "/v1/messages/batches/msgbatch_1"), "{\"id\":\"msgbatch_1\"}");
        assertEquals(Optional.empty(), owners.ownerOf(ObjectKind.BATCH, "msgbatch_1"));
    }

    @Test
    void callsThatNeitherCreateDeleteNorListHoldNothing() {
        assertNull(answerFor(alice, "GET", "/v1/files/file_1"));
        assertNull(answerFor(alice, "GET", "/v1/files/file_1/content"));
        assertNull(answerFor(alice, "POST", "/v1/messages"));
    }

    @Test
    void tokensOfOneAgentShareAndUnnamedOrIdentityTokensDoNot() {
        assertEquals(Owner.of(token("alice")), Owner.of(alice));
        TokenRecord unnamed = token("unnamed");
        assertFalse(Owner.of(unnamed).equals(Owner.of(token("unnamed"))));
    }
}
