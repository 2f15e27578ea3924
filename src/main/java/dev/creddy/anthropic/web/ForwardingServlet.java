package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.forward.BodyLimits;
import dev.creddy.anthropic.forward.ContextualInstances;
import dev.creddy.anthropic.forward.Endpoint;
import dev.creddy.anthropic.forward.ForwardedRequest;
import dev.creddy.anthropic.forward.Forwarder;
import dev.creddy.anthropic.forward.QueryCredentials;
import dev.creddy.anthropic.observe.AuditEntry;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.ownership.ConfiguredObjectOwners;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import dev.creddy.anthropic.usage.Admission;
import dev.creddy.anthropic.usage.ConcurrencyGate;
import dev.creddy.anthropic.usage.RateLimitHeaders;
import dev.creddy.anthropic.usage.UsageLedger;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * Every {@code /v1/**} request other than the token endpoints, any method: authenticate the token,
 * choose the target, admit the request under the token's limits, then hand both legs to the
 * {@link Forwarder}, which streams them asynchronously.
 * Nothing a client sends can change where the request goes.
 */
@WebServlet(name = "forwarding", urlPatterns = "/v1/*", asyncSupported = true, loadOnStartup = 1)
public class ForwardingServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient TokenAuthenticator authenticator;
    @Inject
    transient Forwarder forwarder;
    @Inject
    transient Settings settings;
    @Inject
    transient ApiResponses responses;
    @Inject
    transient AuditLog audit;
    @Inject
    transient UsageLedger ledger;
    @Inject
    transient ConfiguredObjectOwners owners;
    @Inject
    transient ConcurrencyGate concurrency;

    /**
     * Holds the application-scoped beans themselves rather than their client proxies: every forwarded
     * request calls them, and a proxy looks its instance up on each call (see {@link ContextualInstances}).
     */
    @Override
    public void init() {
        forwarder = ContextualInstances.unwrap(forwarder);
        responses = ContextualInstances.unwrap(responses);
        ledger = ContextualInstances.unwrap(ledger);
        owners = ContextualInstances.unwrap(owners);
        concurrency = ContextualInstances.unwrap(concurrency);
    }

    @Override
    protected void service(HttpServletRequest clientRequest, HttpServletResponse clientResponse) throws IOException {
        Authentication authentication = authenticator.authenticate(clientRequest);
        if (authentication.isRefused()) {
            refuse(clientRequest, clientResponse, null, authentication.error(), authentication.reason());
            return;
        }
        TokenRecord caller = authentication.caller();
        RequestAttributes.tag(clientRequest, caller);
        Optional<String> unconfigured = settings.unconfiguredReason();
        if (unconfigured.isPresent()) {
            refuse(clientRequest, clientResponse, caller, ApiError.of(503, "the proxy is not configured: " + unconfigured.get()),
                    "not_configured");
            return;
        }
        // Each fact about the request is worked out once, here, and travels as a ForwardedRequest.
        String method = clientRequest.getMethod();
        String path = Forwarder.pathOf(clientRequest);
        long bodyLimit = forwarder.bodyLimit(method, path);
        if (clientRequest.getContentLengthLong() > bodyLimit) {
            refuse(clientRequest, clientResponse, caller, BodyLimits.tooLarge(bodyLimit), "body_too_large");
            return;
        }
        String rawQuery = clientRequest.getQueryString();
        Optional<String> target = forwarder.requestTarget(path, rawQuery);
        if (target.isEmpty()) {
            refuse(clientRequest, clientResponse, caller,
                    ApiError.of(404, "not found: the proxy forwards only paths under /v1/"), "not_forwardable");
            return;
        }
        if (QueryCredentials.present(rawQuery)) {
            refuse(clientRequest, clientResponse, caller, ApiError.of(400,
                    "credentials do not belong in the query string: send the token in the x-api-key header"),
                    "query_credentials");
            return;
        }
        Optional<ApiError> closed = EndpointRefusal.of(caller, method, path,
                settings.agentBudgets().containsKey(caller.agentName()));
        if (closed.isPresent()) {
            refuse(clientRequest, clientResponse, caller, closed.get(), "endpoint_refused");
            return;
        }
        Optional<ObjectAccess.Refusal> notTheirs = ObjectAccess.check(owners, caller, path);
        if (notTheirs.isPresent()) {
            refuse(clientRequest, clientResponse, caller, notTheirs.get().error(), notTheirs.get().reason());
            return;
        }
        TokenLimits limits = caller.limits();
        if ((limits.restrictsModels() || limits.countsBeforeForwarding()) && Endpoint.of(path) == Endpoint.UNKNOWN) {
            // Fail closed: the allowlist and the meters know each endpoint by one spelling only.
            refuse(clientRequest, clientResponse, caller, ApiError.of(404,
                    "not found: " + path + " is not an Anthropic API endpoint the proxy knows (check the spelling)"),
                    "unknown_endpoint");
            return;
        }
        ConcurrencyGate.Entry entry;
        try {
            entry = concurrency.enter(caller, settings.enforcement().agentCap(caller.agentName()));
        } catch (TokenStoreUnavailableException e) {
            refuse(clientRequest, clientResponse, caller, TokenStoreOutage.ERROR, "token_store_unavailable");
            return;
        }
        if (!entry.admitted()) {
            refuse(clientRequest, clientResponse, caller, ConcurrencyRefusal.of(entry), "concurrency_limited");
            return;
        }
        // From here the slot is the exchange's to release; every way out before it starts releases it.
        ConcurrencyGate.Slot slot = entry.slot();
        Admission admission = null;
        if (limits.countsBeforeForwarding()) {
            try {
                admission = ledger.admit(caller, Instant.now());
            } catch (TokenStoreUnavailableException e) {
                slot.release();
                refuse(clientRequest, clientResponse, caller, TokenStoreOutage.ERROR, "token_store_unavailable");
                return;
            }
            if (!admission.admitted()) {
                slot.release();
                RateLimitHeaders.of(limits, admission).forEach(clientResponse::setHeader);
                refuse(clientRequest, clientResponse, caller, LimitRefusal.of(caller, admission, Instant.now()), "rate_limited");
                return;
            }
        }
        ForwardedRequest request = new ForwardedRequest(method, path, target.get(), bodyLimit, caller, admission,
                clientRequest.getRemoteAddr());
        Optional<ApiError> tooMany;
        try {
            tooMany = forwarder.forward(clientRequest, clientResponse, request, slot);
        } catch (IOException | RuntimeException e) {
            slot.release();
            throw e;
        }
        if (tooMany.isPresent()) {
            refuse(clientRequest, clientResponse, caller, tooMany.get(), "connections_per_token");
        }
    }

    /** Answers {@code error} and writes the audit line of a refusal; {@code caller} is null when no valid token was found. */
    private void refuse(HttpServletRequest clientRequest, HttpServletResponse clientResponse, TokenRecord caller,
            ApiError error, String reason) throws IOException {
        if (clientRequest.getContentLengthLong() > 0 || clientRequest.getHeader("transfer-encoding") != null) {
            // The body is never read: keeping the connection would make the container read (swallow) it first.
            clientResponse.setHeader("Connection", "close");
        }
        responses.error(clientResponse, error);
        audit.record(rejection(clientRequest, caller, error, reason));
    }

    /** The audit line of a request refused with {@code error}; shared with {@code /v1/tokens/self}. */
    static AuditEntry rejection(HttpServletRequest request, TokenRecord caller, ApiError error, String reason) {
        return AuditEntry.rejected(caller, request.getRemoteAddr(), request.getMethod(), Forwarder.pathOf(request),
                error.status(), error.type(), reason);
    }
}
