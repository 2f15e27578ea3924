package dev.creddy.anthropic.observe;

import com.codahale.metrics.jmx.ObjectNameFactory;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.core.instrument.util.HierarchicalNameMapper;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * Names the metrics' MBeans the way JMX consoles group them: {@code creddy:name=requests,
 * context="/app",agent=alpha,endpoint=messages,method=POST,status=200}. The meter's name loses its
 * {@code creddy.} prefix (the domain says it), the deployment's context path keeps two deployments
 * in one server apart, and each tag becomes a key property.
 *
 * <p>Micrometer first maps a meter to a name ({@link HierarchicalNameMapper}), which the JMX
 * reporter then turns into an {@link ObjectName} ({@link ObjectNameFactory}): the first step writes
 * the key properties, the second only parses them. A value is quoted when JMX requires it (it holds
 * one of {@code ,=:"*?} or a line break); the context path always is, as on the upstream pool's MBean.
 *
 * <p>Immutable and thread-safe.
 */
final class JmxObjectNames implements HierarchicalNameMapper, ObjectNameFactory {

    private final String quotedContext;

    /** @param contextPath the deployment's context path, {@code /} for the root */
    JmxObjectNames(String contextPath) {
        this.quotedContext = ObjectName.quote(contextPath);
    }

    @Override
    public String toHierarchicalName(Meter.Id id, NamingConvention convention) {
        String name = id.getName().startsWith(ProxyMetrics.PREFIX) ? id.getName().substring(ProxyMetrics.PREFIX.length())
                : id.getName();
        StringBuilder properties = new StringBuilder("name=").append(value(name)).append(",context=").append(quotedContext);
        for (Tag tag : id.getTagsAsIterable()) {
            properties.append(',').append(tag.getKey()).append('=').append(value(tag.getValue()));
        }
        return properties.toString();
    }

    @Override
    public ObjectName createName(String type, String domain, String name) {
        try {
            return new ObjectName(domain + ":" + name);
        } catch (MalformedObjectNameException e) {
            // Every value was quoted where JMX needs it; a failure here is a bug in this class.
            throw new IllegalStateException("not a valid MBean name: " + e.getMessage(), e);
        }
    }

    private static String value(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == ',' || c == '=' || c == ':' || c == '"' || c == '*' || c == '?' || c == '\n' || c == '\r') {
                return ObjectName.quote(raw);
            }
        }
        return raw.isEmpty() ? ObjectName.quote(raw) : raw;
    }
}
