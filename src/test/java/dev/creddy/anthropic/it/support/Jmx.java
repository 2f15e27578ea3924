package dev.creddy.anthropic.it.support;

import java.lang.management.ManagementFactory;
import java.util.Set;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The platform MBean server, which the embedded Tomcat and the deployed WAR share with the tests,
 * read as an ops console would.
 */
public final class Jmx {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private Jmx() {
    }

    /** A numeric attribute of {@code objectName}, 0 when no such MBean is registered (yet). */
    public static double number(String objectName, String attribute) {
        try {
            return ((Number) SERVER.getAttribute(new ObjectName(objectName), attribute)).doubleValue();
        } catch (InstanceNotFoundException e) {
            return 0;
        } catch (JMException e) {
            throw new AssertionError("cannot read " + attribute + " of " + objectName, e);
        }
    }

    /** The names of the registered MBeans matching a pattern such as {@code creddy:context="/app",*}. */
    public static Set<ObjectName> names(String pattern) {
        try {
            return SERVER.queryNames(new ObjectName(pattern), null);
        } catch (JMException e) {
            throw new AssertionError("not a pattern: " + pattern, e);
        }
    }
}
