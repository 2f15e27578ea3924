package dev.creddy.anthropic.ownership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What every {@link ObjectOwners} does; one subclass per store. */
@Timeout(30)
abstract class ObjectOwnersContract {

    protected ObjectOwners owners;

    protected abstract ObjectOwners open() throws Exception;

    protected void close() throws Exception {
    }

    @BeforeEach
    void start() throws Exception {
        owners = open();
    }

    @AfterEach
    void stop() throws Exception {
        close();
    }

    @Test
    void aRecordedOwnerIsFoundAndAnUnknownIdHasNone() {
        owners.record(ObjectKind.FILE, "file_1", "agent:alice").toCompletableFuture().join();
        assertEquals(Optional.of("agent:alice"), owners.ownerOf(ObjectKind.FILE, "file_1"));
        assertEquals(Optional.empty(), owners.ownerOf(ObjectKind.FILE, "file_2"));
    }

    @Test
    void kindsAreApart() {
        owners.record(ObjectKind.FILE, "same_id", "agent:alice").toCompletableFuture().join();
        assertEquals(Optional.empty(), owners.ownerOf(ObjectKind.BATCH, "same_id"));
    }

    @Test
    void aListingsOwnersAreReadTogether() {
        owners.record(ObjectKind.BATCH, "b1", "agent:alice").toCompletableFuture().join();
        owners.record(ObjectKind.BATCH, "b3", "agent:bob").toCompletableFuture().join();
        assertEquals(Map.of("b1", "agent:alice", "b3", "agent:bob"),
                owners.ownersOf(ObjectKind.BATCH, List.of("b1", "b2", "b3")).toCompletableFuture().join());
        assertTrue(owners.ownersOf(ObjectKind.BATCH, List.of()).toCompletableFuture().join().isEmpty());
    }

    @Test
    void aForgottenObjectHasNoOwner() {
        owners.record(ObjectKind.FILE, "file_1", "agent:alice").toCompletableFuture().join();
        owners.forget(ObjectKind.FILE, "file_1").toCompletableFuture().join();
        assertEquals(Optional.empty(), owners.ownerOf(ObjectKind.FILE, "file_1"));
    }
}
