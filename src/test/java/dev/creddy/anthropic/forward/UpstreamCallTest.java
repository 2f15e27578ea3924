package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UpstreamCallTest {

    /** A future that counts its cancels. */
    private static final class Started extends CompletableFuture<Void> {
        final AtomicInteger cancels = new AtomicInteger();

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancels.incrementAndGet();
            return super.cancel(mayInterruptIfRunning);
        }
    }

    @Test
    void aCancelBeforeExecuteReturnsCancelsTheExchangeOnceItIsKnown() {
        UpstreamCall call = new UpstreamCall();
        Started started = new Started();
        call.start(() -> {
            // The error exit runs while execute() is still returning (a failure on the calling thread).
            call.cancel();
            return started;
        });
        assertEquals(1, started.cancels.get());
        assertTrue(started.isCancelled());
    }

    @Test
    void aCancelAfterTheStartCancelsAtOnce() {
        UpstreamCall call = new UpstreamCall();
        Started started = new Started();
        call.start(() -> started);
        assertEquals(0, started.cancels.get(), "a started exchange is left alone");
        call.cancel();
        assertEquals(1, started.cancels.get());
    }

    @Test
    void aCancelBeforeAnyStartIsRemembered() {
        UpstreamCall call = new UpstreamCall();
        call.cancel();
        Started started = new Started();
        call.start(() -> started);
        assertTrue(started.isCancelled());
    }
}
