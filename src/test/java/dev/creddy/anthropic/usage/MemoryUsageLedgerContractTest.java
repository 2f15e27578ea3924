package dev.creddy.anthropic.usage;

/** The usage ledger contract, in memory. */
class MemoryUsageLedgerContractTest extends UsageLedgerContract {

    @Override
    protected UsageLedger open() {
        MemoryUsageLedger memory = new MemoryUsageLedger(RETENTION, clock);
        memory.start();
        return memory;
    }

    @Override
    protected void settle(UsageLedger ledger) {
        // adds at once
    }

    @Override
    protected void close(UsageLedger ledger) {
        ((MemoryUsageLedger) ledger).close();
    }
}
