package dev.creddy.anthropic.it;

import dev.creddy.anthropic.it.support.ProxyWar;
import java.net.URL;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link ObjectOwnershipContract} on one instance with the memory store. */
@ExtendWith(ArquillianExtension.class)
class ObjectOwnershipIT extends ObjectOwnershipContract {

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("owners.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    private String base() {
        String url = base.toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    String creatingBase() {
        return base();
    }

    @Override
    String readingBase() {
        return base();
    }
}
