package dev.creddy.anthropic.web.gateway;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.config.DeviceSignInSettings;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenSecrets;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * {@code GET /managed/settings}: the gateway protocol's managed-settings delivery. A signed-in Claude Code
 * asks for it with its access token (any live {@code crd_} token) and applies the {@code settings} as its
 * managed settings, above every other level; {@code 404} means "no managed policy" to it, which is the
 * answer while {@code device-managed-settings} is unset. The file is the operator's
 * ({@link ManagedSettingsFile}); {@code If-None-Match} with the current {@code ETag} answers {@code 304}.
 */
public class ManagedSettingsServlet extends GatewayServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(ManagedSettingsServlet.class.getName());

    @Inject
    transient TokenRegistry registry;

    private transient volatile ManagedSettingsFile file;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!enabled(request, response)) {
            return;
        }
        String bearer = bearer(request);
        Optional<String> agent;
        try {
            agent = bearer == null || !TokenSecrets.isWellFormed(bearer) ? Optional.empty()
                    : registry.validate(bearer).map(record -> record.agentName());
            if (agent.isEmpty()) {
                responses.error(response, ApiError.of(401, "managed settings are for signed-in Claude Code: send its access "
                        + "token as Authorization: Bearer"));
                return;
            }
        } catch (TokenStoreUnavailableException e) {
            response.setHeader("Retry-After", "1");
            responses.error(response, ApiError.of(503, "token store unavailable"));
            return;
        }
        Optional<Path> configured = signIn.settings().flatMap(DeviceSignInSettings::managedSettings);
        if (configured.isEmpty()) {
            responses.error(response, ApiError.of(404, "this proxy delivers no managed settings (device-managed-settings is unset)"));
            return;
        }
        ManagedSettingsFile.Answer answer;
        try {
            answer = file(configured.get()).current();
        } catch (IOException e) {
            LOG.warning(() -> "managed settings: " + e.getMessage());
            response.setHeader("Retry-After", "60");
            responses.error(response, ApiError.of(503, "the managed settings cannot be read; tell the proxy's operator"));
            return;
        }
        String etag = "\"" + answer.checksum() + "\"";
        response.setHeader("ETag", etag);
        response.setHeader("Cache-Control", "no-cache");
        if (etag.equals(request.getHeader("If-None-Match"))) {
            response.setStatus(304);
            return;
        }
        LOG.info(() -> "managed settings " + answer.checksum().substring(0, 12) + " served to " + agent.get());
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        response.setStatus(200);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    private ManagedSettingsFile file(Path path) {
        ManagedSettingsFile current = file;
        if (current == null) {
            // Two first requests may each make one: the same file, read twice.
            current = new ManagedSettingsFile(path);
            file = current;
        }
        return current;
    }

    private static String bearer(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).strip();
        }
        return request.getHeader("x-api-key");
    }
}
