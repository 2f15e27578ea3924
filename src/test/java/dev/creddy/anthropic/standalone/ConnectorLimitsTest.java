package dev.creddy.anthropic.standalone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConnectorLimitsTest {

    private static String[] args(String line) {
        return line.trim().split("\\s+");
    }

    @Test
    void defaultsSuitAProxyFacingUnauthenticatedClients() {
        ConnectorLimits limits = LaunchOptions.parse(new String[0]).connector();
        assertEquals(ConnectorLimits.DEFAULTS, limits);
        assertEquals(256, limits.maxConnectionsPerAddress());
        assertEquals(Duration.ofSeconds(20), limits.connectionTimeout());
        assertEquals(Duration.ofSeconds(30), limits.uploadTimeout());
        assertEquals(Duration.ofSeconds(65), limits.keepAliveTimeout());
        assertEquals(10_000, limits.maxKeepAliveRequests());
        assertEquals(4096, limits.maxSwallowSize());
        assertEquals(0, limits.maxThreads());
    }

    @Test
    void flagsSetEachLimitAndAreNoApplicationSettings() {
        LaunchOptions options = LaunchOptions.parse(args("--max-client-connections 500 --max-connections-per-address=0 "
                + "--connection-timeout 5s --upload-timeout=1500ms --keep-alive-timeout 2m --max-keep-alive-requests -1 "
                + "--max-swallow-size 1KB --max-threads 12 --api-key k"));
        assertEquals(new ConnectorLimits(500, 0, Duration.ofSeconds(5), Duration.ofMillis(1500), Duration.ofMinutes(2), -1, 1024, 12),
                options.connector());
        assertEquals(java.util.Map.of("anthropic-api-key", "k"), options.settings());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--max-client-connections lots|--max-client-connections \"lots\" must be a whole number, 0 or more",
            "--max-connections-per-address -1|--max-connections-per-address \"-1\" must be a whole number, 0 or more",
            "--connection-timeout 20|--connection-timeout \"20\" needs a unit",
            "--upload-timeout 0s|--upload-timeout \"0s\" must be a duration above zero",
            "--keep-alive-timeout soon|needs a unit",
            "--max-keep-alive-requests 0|must be a whole number above zero, or -1",
            "--max-swallow-size big|--max-swallow-size \"big\" must be a size",
            "--connection-timeout|flag --connection-timeout needs a value",
            "--max-threads 0|--max-threads \"0\" must be a whole number, 1 or more",
    })
    void wrongValuesNameTheFlag(String line, String message) {
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse(args(line)));
        assertTrue(thrown.getMessage().contains(message), thrown.getMessage());
    }

    @ParameterizedTest(name = "{0} cores -> {1} threads")
    @CsvSource({"1, 32", "2, 32", "4, 64", "16, 256"})
    void automaticMaxThreadsIsSixteenPerCoreAndAtLeastThirtyTwo(int cores, int expected) {
        assertEquals(expected, ConnectorLimits.DEFAULTS.effectiveMaxThreads(cores));
        assertEquals(7, new ConnectorLimits(0, 0, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 0, 7)
                .effectiveMaxThreads(cores));
    }

    @ParameterizedTest(name = "-Xmx{0} MB -> {1}")
    @CsvSource({"128, 819", "512, 3276", "1024, 6553", "4096, 20000", "16, 256"})
    void automaticMaxConnectionsIsTheHeapShareAtTheMeasuredCost(long heapMegabytes, int expected) {
        assertEquals(expected, ConnectorLimits.DEFAULTS.effectiveMaxConnections(heapMegabytes << 20));
    }

    @Test
    void anExplicitMaxConnectionsWins() {
        ConnectorLimits limits = ConnectorLimits.parse(java.util.Map.of("max-client-connections", "42"));
        assertEquals(42, limits.effectiveMaxConnections(1L << 30));
    }

    @Test
    void theHelpNamesEveryConnectorFlag() {
        for (String flag : ConnectorLimits.FLAGS) {
            assertTrue(LaunchOptions.usage().contains("--" + flag), flag);
        }
    }
}
