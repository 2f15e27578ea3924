package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.config.ByteSize;
import dev.creddy.anthropic.config.Settings;
import java.util.Locale;

/**
 * How large a request body the proxy forwards, by endpoint. Anthropic takes bigger bodies on its two
 * bulk endpoints (Files API uploads up to 500 MB, batch creation up to 256 MB) than anywhere else
 * (32 MB), so those two get {@code max-upload-body} and every other request {@code max-request-body}:
 * raising one global limit would let any token push 500 MB into a Messages call. Bodies stream
 * either way, so the limits guard bandwidth and the upstream, not memory. Immutable.
 */
public final class BodyLimits {

    private final long standard;
    private final long upload;

    public BodyLimits(Settings settings) {
        this.standard = settings.maxRequestBody();
        this.upload = settings.maxUploadBody();
    }

    /**
     * The largest body forwarded for a request.
     *
     * @param method the request's method
     * @param path the decoded, normalised path within the application, e.g. {@code /v1/files}
     */
    public long limitFor(String method, String path) {
        boolean post = method.toUpperCase(Locale.ROOT).equals("POST");
        return post && (path.equals("/v1/files") || path.equals("/v1/messages/batches")) ? upload : standard;
    }

    /** The 413 for a body over {@code limit}. */
    public static ApiError tooLarge(long limit) {
        return ApiError.of(413, "the request body is larger than the proxy's limit of " + ByteSize.format(limit));
    }
}
