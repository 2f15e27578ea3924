package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.forward.UpstreamClient;
import dev.creddy.anthropic.forward.UpstreamPoolMXBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContext;
import java.lang.management.ManagementFactory;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;

/**
 * Registers the proxy's MBeans in the platform MBean server under the domain {@code creddy}, one set
 * per deployed application (the context path is part of the name), and removes them at undeployment.
 */
@ApplicationScoped
public class ManagementBeans {

    /** The JMX domain ops look under. */
    public static final String DOMAIN = "creddy";

    private static final Logger LOG = Logger.getLogger(ManagementBeans.class.getName());

    @Inject
    UpstreamClient upstream;

    private ObjectName poolName;

    void register(@Observes @Initialized(ApplicationScoped.class) ServletContext context) {
        String application = context.getContextPath().isEmpty() ? "/" : context.getContextPath();
        try {
            poolName = new ObjectName(DOMAIN + ":type=UpstreamPool,context=" + ObjectName.quote(application));
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            // The CDI proxy is no MBean itself: wrap it as one by its interface.
            server.registerMBean(new StandardMBean(upstream, UpstreamPoolMXBean.class, true), poolName);
        } catch (JMException e) {
            LOG.log(Level.WARNING, "could not register the upstream pool MBean: " + e.getClass().getSimpleName());
            poolName = null;
        }
    }

    void unregister(@Observes @BeforeDestroyed(ApplicationScoped.class) Object event) {
        if (poolName == null) {
            return;
        }
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(poolName);
        } catch (JMException e) {
            LOG.log(Level.FINE, "the upstream pool MBean was already gone", e);
        }
    }
}
