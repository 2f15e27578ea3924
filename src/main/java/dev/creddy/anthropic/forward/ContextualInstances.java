package dev.creddy.anthropic.forward;

import org.jboss.weld.proxy.WeldClientProxy;

/**
 * Takes the bean behind a CDI client proxy, for collaborators the forwarding path calls on every
 * request: Weld's client proxies dispatch each call through {@code Method.invoke} (a profile of the
 * forwarding path showed about 15% of its time there). Only for {@code @ApplicationScoped} beans, whose
 * one instance lives as long as the application, so holding it is what the proxy would do anyway.
 * Where the container's CDI is not Weld, the proxy is kept. Public for the servlet and the token
 * registry's producer, which hold such beans for every request too. Stateless.
 */
public final class ContextualInstances {

    private static final boolean WELD = weldPresent();

    private ContextualInstances() {
    }

    /** The contextual instance behind {@code bean}, or {@code bean} itself when it is not a Weld client proxy. */
    @SuppressWarnings("unchecked")
    public static <T> T unwrap(T bean) {
        if (WELD && bean instanceof WeldClientProxy proxy) {
            Object instance = proxy.getMetadata().getContextualInstance();
            if (instance != null) {
                return (T) instance;
            }
        }
        return bean;
    }

    private static boolean weldPresent() {
        try {
            return WeldClientProxy.class.getName() != null;
        } catch (LinkageError e) {
            return false;
        }
    }
}
