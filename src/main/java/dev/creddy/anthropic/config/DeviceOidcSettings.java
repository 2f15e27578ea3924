package dev.creddy.anthropic.config;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The organisation's OpenID Connect provider that the approval page at {@code /device} signs people in
 * with (authorization code flow with PKCE), present exactly when {@code device-oidc-issuer} is set.
 * The client secret comes from {@code device-oidc-client-secret} (JNDI, environment) or is read from
 * {@code device-oidc-client-secret-file} at every sign-in, so that it can be rotated without a restart.
 * Immutable; {@link #toString()} never shows the secret.
 *
 * @param issuer the provider, exactly as its discovery document and ID tokens name it
 * @param clientId the proxy's client id there
 * @param clientSecret the client secret, when it is given as a value
 * @param clientSecretFile the file holding it, when it is given as a file
 * @param scopes what the authorization request asks for; {@code openid} among them
 * @param nameClaim the ID token claim that names the person ({@code sub} when absent)
 * @param groupsClaim the ID token claim listing the person's groups
 */
public record DeviceOidcSettings(URI issuer, String clientId, Optional<Secret> clientSecret, Optional<Path> clientSecretFile,
        List<String> scopes, String nameClaim, String groupsClaim) {

    public DeviceOidcSettings {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(clientSecret, "clientSecret");
        Objects.requireNonNull(clientSecretFile, "clientSecretFile");
        scopes = List.copyOf(scopes);
        Objects.requireNonNull(nameClaim, "nameClaim");
        Objects.requireNonNull(groupsClaim, "groupsClaim");
        if (clientSecret.isPresent() == clientSecretFile.isPresent()) {
            throw new IllegalArgumentException("exactly one of the client secret and its file");
        }
    }

    /**
     * The client secret now: the configured value, or the file's content without its line end.
     *
     * @throws IOException when the file cannot be read or holds nothing (the message names the setting, never the content)
     */
    public Secret currentClientSecret() throws IOException {
        if (clientSecret.isPresent()) {
            return clientSecret.get();
        }
        String content = Files.readString(clientSecretFile.get(), StandardCharsets.UTF_8).strip();
        if (content.isEmpty()) {
            throw new IOException("device-oidc-client-secret-file holds nothing");
        }
        return Secret.of(content);
    }

    @Override
    public String toString() {
        return "DeviceOidcSettings[issuer=" + issuer + ", clientId=" + clientId + ", clientSecret="
                + (clientSecret.isPresent() ? "***" : "file " + clientSecretFile.get()) + ", scopes=" + scopes
                + ", nameClaim=" + nameClaim + ", groupsClaim=" + groupsClaim + "]";
    }
}
