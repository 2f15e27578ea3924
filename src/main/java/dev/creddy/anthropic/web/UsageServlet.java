package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
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
 * {@code GET /v1/usage}: what each agent and each of its tokens used in a window of hours, for an
 * authorized issuer, one page at a time. Parses the query ({@link UsageQuery}), asks the ledger for
 * the page, writes a {@link UsageReport}. When the store cannot be reached, 503.
 */
@WebServlet(name = "usage", urlPatterns = "/v1/usage", loadOnStartup = 1)
public class UsageServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient UsageLedger ledger;
    @Inject
    transient IssuerAuthorization issuers;
    @Inject
    transient ApiResponses responses;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!request.getMethod().equals("GET")) {
            response.setHeader("Allow", "GET");
            responses.error(response, ApiError.of(405, "method " + request.getMethod() + " is not allowed on /v1/usage: use GET"));
            return;
        }
        Optional<ApiError> refused = issuers.check(request);
        if (refused.isPresent()) {
            responses.error(response, refused.get());
            return;
        }
        UsageQuery query;
        try {
            query = UsageQuery.parse(request::getParameter, Instant.now());
        } catch (IllegalArgumentException e) {
            responses.error(response, ApiError.of(400, e.getMessage()));
            return;
        }
        try {
            responses.json(response, HttpServletResponse.SC_OK,
                    UsageReport.of(query, ledger.report(query.agent(), query.from(), query.to(), query.after(), query.limit())));
        } catch (TokenStoreUnavailableException e) {
            TokenStoreOutage.send(responses, response);
        } catch (IllegalArgumentException e) {
            // The ledger refuses a window longer than the history it keeps.
            responses.error(response, ApiError.of(400, e.getMessage()));
        }
    }
}
