package dev.creddy.anthropic.web;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.enterprise.inject.spi.BeforeBeanDiscovery;
import jakarta.enterprise.inject.spi.Extension;

/**
 * Stops the Tomcat WAR deployed on a Jakarta EE server, where the server's CDI container and the
 * WAR's own Weld servlet would both claim the application. A CDI extension because the server
 * deploys CDI before it starts the web module: a servlet-level check would come too late, after
 * Weld servlet's initializer has already failed with an obscure "Unable to access CDI" (WildFly)
 * or left the application half-working (Payara). Throwing from this observer is a definition error,
 * which fails the deployment (CDI 4.0, "Container lifecycle events").
 *
 * <p>Registered in {@code META-INF/services}; stateless and thread-safe.
 */
public final class CdiClashCheck implements Extension {

    /** Present only where the WAR carries Weld servlet, i.e. in the Tomcat WAR. */
    private static final String WELD_SERVLET_CLASS = "org/jboss/weld/environment/servlet/EnhancedListener.class";

    void beforeBeanDiscovery(@Observes BeforeBeanDiscovery event, BeanManager manager) {
        ClassLoader application = CdiClashCheck.class.getClassLoader();
        if (clashes(application.getResource(WELD_SERVLET_CLASS) != null, manager.getClass().getClassLoader(), application)) {
            throw WarFlavour.TOMCAT.deployedWhere("this server runs CDI itself");
        }
    }

    /**
     * Whether two CDI containers would claim the application: the WAR carries Weld servlet, yet the
     * container running this extension was not loaded from the WAR.
     */
    static boolean clashes(boolean carriesWeldServlet, ClassLoader cdiContainer, ClassLoader application) {
        return carriesWeldServlet && cdiContainer != application;
    }
}
