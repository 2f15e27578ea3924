package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.MessageConstraintException;
import org.apache.hc.core5.util.Deadline;
import org.apache.hc.core5.util.DeadlineTimeoutException;
import org.junit.jupiter.api.Test;

/** How the HTTP client's failures are classified: what the audit line and the metrics call them, and so which error the client gets. */
class OutcomeTest {

    private static final HttpHost UPSTREAM = new HttpHost("http", "127.0.0.1", 1);

    @Test
    void anUpstreamThatCannotBeReachedIsUnreachable() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        assertEquals(Outcome.UPSTREAM_UNREACHABLE, Outcome.ofUpstream(new ConnectException("Connection refused")));
        assertEquals(Outcome.UPSTREAM_UNREACHABLE, Outcome.ofUpstream(
                new HttpHostConnectException("Connect to " + loopback.getHostAddress() + " failed: Connection refused", UPSTREAM)));
        assertEquals(Outcome.UPSTREAM_UNREACHABLE, Outcome.ofUpstream(new UnknownHostException("api.example")));
        assertEquals(Outcome.UPSTREAM_UNREACHABLE, Outcome.ofUpstream(new NoRouteToHostException("no route")));
        assertEquals(Outcome.UPSTREAM_UNREACHABLE, Outcome.ofUpstream(new SSLHandshakeException("bad certificate")));
    }

    /** HttpClient's connect timeout is a SocketTimeoutException too: it must not pass for a silent upstream. */
    @Test
    void aConnectTimeoutIsUnreachableNotIdle() {
        assertEquals(Outcome.UPSTREAM_UNREACHABLE, Outcome.ofUpstream(new ConnectTimeoutException("connect timed out")));
    }

    @Test
    void silenceAfterTheConnectionIsIdle() {
        assertEquals(Outcome.UPSTREAM_IDLE, Outcome.ofUpstream(new SocketTimeoutException("Read timed out")));
    }

    @Test
    void thePoolsLeaseDeadlineIsBusy() {
        DeadlineTimeoutException lease = DeadlineTimeoutException.from(Deadline.calculate(org.apache.hc.core5.util.TimeValue.ofMilliseconds(1)));
        assertEquals(Outcome.UPSTREAM_BUSY, Outcome.ofUpstream(lease));
        assertEquals(Outcome.UPSTREAM_BUSY, Outcome.ofUpstream(new ExecutionException(lease)), "found through its wrapper");
    }

    @Test
    void anUpstreamHeadOverTheLimitsIsTooLarge() {
        assertEquals(Outcome.UPSTREAM_HEAD_TOO_LARGE, Outcome.ofUpstream(new MessageConstraintException("Maximum header count exceeded")));
    }

    @Test
    void aBrokenConnectionOrAnythingElseIsFailed() {
        assertEquals(Outcome.UPSTREAM_FAILED, Outcome.ofUpstream(new ConnectionClosedException("closed")));
        assertEquals(Outcome.UPSTREAM_FAILED, Outcome.ofUpstream(new IOException("Connection reset by peer")));
        assertEquals(Outcome.UPSTREAM_FAILED, Outcome.ofUpstream(new IllegalStateException("a bug")));
        assertEquals(Outcome.UPSTREAM_FAILED, Outcome.ofUpstream(new CancellationException()));
        assertEquals(Outcome.UPSTREAM_FAILED, Outcome.ofUpstream(null));
    }

    /** The client's side breaking reaches the upstream callbacks too; it is the client's, wherever it sits in the chain. */
    @Test
    void theClientGoingAwayIsTheClientsWhateverWrapsIt() {
        ClientGoneException gone = new ClientGoneException(new IOException("Broken pipe"));
        assertEquals(Outcome.CLIENT_DISCONNECTED, Outcome.ofUpstream(gone));
        assertEquals(Outcome.CLIENT_DISCONNECTED, Outcome.ofUpstream(new ExecutionException(gone)));
        assertEquals(Outcome.CLIENT_DISCONNECTED, Outcome.ofUpstream(new RuntimeException(gone)));
    }

    /**
     * The outermost cause the classifier knows decides: an I/O failure that merely carries a connect
     * failure as its cause happened on a connection that was up, so it is a failure, not unreachable.
     */
    @Test
    void theOutermostKnownCauseDecides() {
        assertEquals(Outcome.UPSTREAM_FAILED, Outcome.ofUpstream(new IOException("write failed", new ConnectException("refused"))));
        assertEquals(Outcome.UPSTREAM_UNREACHABLE, Outcome.ofUpstream(new RuntimeException(new ConnectException("refused"))));
    }

    @Test
    void everyOutcomeHasItsOwnWireName() {
        Set<String> names = Arrays.stream(Outcome.values()).map(Outcome::wireName).collect(Collectors.toSet());
        assertEquals(Outcome.values().length, names.size());
        for (Outcome outcome : Outcome.values()) {
            assertEquals(outcome.name().toLowerCase(java.util.Locale.ROOT), outcome.wireName());
        }
    }
}
