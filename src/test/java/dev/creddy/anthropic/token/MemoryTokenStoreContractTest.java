package dev.creddy.anthropic.token;

import java.time.Clock;

/** The registry contract, in memory. */
class MemoryTokenStoreContractTest extends TokenRegistryContract {

    @Override
    protected TokenRegistry open(Clock clock) {
        MemoryTokenStore store = new MemoryTokenStore(new TokenSecrets(), clock);
        store.start();
        return store;
    }

    @Override
    protected void close(TokenRegistry registry) {
        ((MemoryTokenStore) registry).close();
    }
}
