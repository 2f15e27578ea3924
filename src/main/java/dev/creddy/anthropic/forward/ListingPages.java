package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.entity.AbstractBinAsyncEntityConsumer;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.apache.hc.core5.http.nio.support.BasicResponseConsumer;
import org.apache.hc.core5.util.ByteArrayBuffer;

/**
 * Asks the upstream for the next page of a listing the proxy is filtering (files, batches), when a
 * page held none of the caller's objects ({@link OwnedObjectAnswer}): the same path, query and headers
 * as the client's listing (the real key, {@code anthropic-version}, {@code anthropic-beta}), with the
 * cursor moved past the page just read and {@code limit} raised to the API's largest, {@value #LIMIT},
 * so that few pages are read. The answer is held whole, at most {@link BatchUrlRewriter#MAX_BODY}
 * bytes; anything but a 2xx fails the listing with 502, like the client's own page would.
 *
 * <p>Immutable and thread-safe; the request it copies is read only after its headers were set.
 */
final class ListingPages {

    /** The largest {@code limit} the Files and Batches listings take. */
    static final int LIMIT = 1000;
    /** Set again by HttpClient for each request; the rest of the client's listing's headers are copied. */
    private static final Set<String> NOT_COPIED = Set.of("host", "content-length", "transfer-encoding", "connection");

    private final UpstreamClient upstream;
    private final HttpHost host;
    private final HttpRequest listing;

    /**
     * @param listing the upstream request of the client's listing; its headers are read when a further
     *     page is asked for
     */
    ListingPages(UpstreamClient upstream, HttpHost host, HttpRequest listing) {
        this.upstream = upstream;
        this.host = host;
        this.listing = listing;
    }

    /**
     * The upstream's page of the same listing that follows {@code cursor}.
     *
     * @param cursorName {@code after_id} (older objects) or {@code before_id} (newer ones), read with
     *     {@code limit} {@value #LIMIT}; or {@code page}, an opaque {@code next_page} cursor, read with the
     *     client's own {@code limit} (a page of another size would not end where that cursor goes on)
     */
    CompletionStage<byte[]> after(String cursorName, String cursor) {
        BasicHttpRequest next = new BasicHttpRequest("GET", host, target(listing.getRequestUri(), cursorName, cursor));
        for (Header header : listing.getHeaders()) {
            if (!NOT_COPIED.contains(header.getName().toLowerCase(Locale.ROOT))) {
                next.addHeader(header);
            }
        }
        CompletableFuture<byte[]> page = new CompletableFuture<>();
        upstream.execute(new BasicRequestProducer(next, null), new BasicResponseConsumer<>(new HeldBody()),
                new FutureCallback<Message<HttpResponse, byte[]>>() {
                    @Override
                    public void completed(Message<HttpResponse, byte[]> answer) {
                        int status = answer.getHead().getCode();
                        if (status < 200 || status >= 300 || answer.getBody() == null) {
                            page.completeExceptionally(unreadable());
                        } else {
                            page.complete(answer.getBody());
                        }
                    }

                    @Override
                    public void failed(Exception cause) {
                        page.completeExceptionally(unreadable());
                    }

                    @Override
                    public void cancelled() {
                        page.completeExceptionally(unreadable());
                    }
                });
        return page;
    }

    /** {@code requestUri}'s path and query, without its cursors (and its limit, unless paging by {@code page}), then the new ones. */
    static String target(String requestUri, String cursorName, String cursor) {
        boolean raise = !cursorName.equals("page");
        int question = requestUri.indexOf('?');
        StringBuilder target = new StringBuilder(question < 0 ? requestUri : requestUri.substring(0, question)).append('?');
        if (question >= 0) {
            for (String parameter : requestUri.substring(question + 1).split("&", -1)) {
                String name = parameter.contains("=") ? parameter.substring(0, parameter.indexOf('=')) : parameter;
                if (!parameter.isEmpty() && !List.of("after_id", "before_id", "page").contains(name)
                        && !(raise && name.equals("limit"))) {
                    target.append(parameter).append('&');
                }
            }
        }
        if (raise) {
            target.append("limit=").append(LIMIT).append('&');
        }
        return target.append(cursorName).append('=').append(URLEncoder.encode(cursor, StandardCharsets.UTF_8)).toString();
    }

    private static CompletionException unreadable() {
        return new CompletionException(new RequestRefusedException(ApiError.of(502,
                "the Anthropic API did not answer for the next page of the listing the proxy filters to this agent's objects")));
    }

    /** The page's body, held whole up to the cap; over it, the page fails. Confined to its exchange. */
    private static final class HeldBody extends AbstractBinAsyncEntityConsumer<byte[]> {
        private final ByteArrayBuffer held = new ByteArrayBuffer(8192);

        @Override
        protected void streamStart(ContentType contentType) {
            // Any JSON type; the filter reads the bytes.
        }

        @Override
        protected int capacityIncrement() {
            return 64 * 1024;
        }

        @Override
        protected void data(ByteBuffer src, boolean endOfStream) throws IOException {
            if (held.length() + src.remaining() > BatchUrlRewriter.MAX_BODY) {
                throw new IOException("listing page over " + BatchUrlRewriter.MAX_BODY + " bytes");
            }
            byte[] bytes = new byte[src.remaining()];
            src.get(bytes);
            held.append(bytes, 0, bytes.length);
        }

        @Override
        protected byte[] generateContent() {
            return held.toByteArray();
        }

        @Override
        public void releaseResources() {
            held.clear();
        }
    }
}
