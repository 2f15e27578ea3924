package dev.creddy.anthropic.identity;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;
import dev.creddy.anthropic.config.OidcSettings;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.util.Map;

/**
 * An OpenID Connect provider's discovery document ({@code <issuer>/.well-known/openid-configuration},
 * OpenID Connect Discovery §4), for the identity token issuers and for the approval page's sign-in
 * provider alike. The document must name exactly the configured issuer (§4.3), or anyone who can answer
 * at that URL could name another issuer's keys; every endpoint it names must be one the proxy may fetch
 * from ({@link OidcSettings#fetchableUrl}). Stateless.
 */
final class ProviderDiscovery {

    private ProviderDiscovery() {
    }

    /** The discovery document of {@code issuer}, its {@code issuer} checked. */
    static Map<String, Object> fetch(URI issuer, ResourceRetriever retriever) throws IOException, java.text.ParseException {
        String base = issuer.toString().endsWith("/") ? issuer.toString().substring(0, issuer.toString().length() - 1)
                : issuer.toString();
        Resource document = retriever.retrieveResource(URI.create(base + "/.well-known/openid-configuration").toURL());
        Map<String, Object> metadata = JSONObjectUtils.parse(document.getContent());
        String named = JSONObjectUtils.getString(metadata, "issuer");
        if (!issuer.toString().equals(named)) {
            throw new IOException("its discovery document names the issuer \"" + named + "\", not \"" + issuer + "\"");
        }
        return metadata;
    }

    /** The endpoint {@code field} of a discovery document, checked like an issuer URL. */
    static URL endpoint(Map<String, Object> metadata, String field) throws IOException, java.text.ParseException {
        String value = JSONObjectUtils.getString(metadata, field);
        if (value == null) {
            throw new IOException("its discovery document has no " + field);
        }
        try {
            return OidcSettings.fetchableUrl(value).toURL();
        } catch (IllegalArgumentException e) {
            throw new IOException("its " + field + " " + e.getMessage(), e);
        }
    }
}
