package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.creddy.anthropic.forward.BatchMetadataResponse.DebtCapacity;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The batch metadata answer credits the upstream itself while it holds the body, then hands the bytes
 * to the writer, whose credit for those same bytes must not reach the upstream a second time.
 */
class DebtCapacityTest {

    private final Fakes.Capacity upstream = new Fakes.Capacity();
    private final DebtCapacity capacity = new DebtCapacity();

    @Test
    void creditForBytesAlreadyCreditedIsSwallowedAndTheRestPasses() throws IOException {
        capacity.target(upstream);
        capacity.debit(10_000);
        capacity.update(4_000);
        assertEquals(0, upstream.credited.get(), "all of it was owed");
        capacity.update(8_000);
        assertEquals(2_000, upstream.credited.get(), "6,000 paid the rest of the debt");
        capacity.update(500);
        assertEquals(2_500, upstream.credited.get(), "no debt left: everything passes");
    }

    @Test
    void withoutDebtEverythingPasses() throws IOException {
        capacity.target(upstream);
        capacity.update(16_384);
        assertEquals(16_384, upstream.credited.get());
    }

    @Test
    void debtsAddUp() throws IOException {
        capacity.target(upstream);
        capacity.debit(1_000);
        capacity.debit(2_000);
        capacity.update(2_999);
        assertEquals(0, upstream.credited.get());
        capacity.update(2);
        assertEquals(1, upstream.credited.get());
    }

    /** The upstream's channel changes when the consumer is given a new one; credit goes to the latest. */
    @Test
    void creditGoesToTheLatestChannel() throws IOException {
        Fakes.Capacity later = new Fakes.Capacity();
        capacity.target(upstream);
        capacity.update(100);
        capacity.target(later);
        capacity.update(200);
        assertEquals(100, upstream.credited.get());
        assertEquals(200, later.credited.get());
    }
}
