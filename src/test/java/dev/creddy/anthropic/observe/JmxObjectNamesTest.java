package dev.creddy.anthropic.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.NamingConvention;
import javax.management.ObjectName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JmxObjectNamesTest {

    private static ObjectName nameOf(String contextPath, String meter, String... tags) {
        JmxObjectNames names = new JmxObjectNames(contextPath);
        Meter.Id id = new Meter.Id(meter, Tags.of(tags), null, null, Meter.Type.COUNTER);
        return names.createName("meters", "creddy", names.toHierarchicalName(id, NamingConvention.identity));
    }

    @ParameterizedTest(name = "agent {0}")
    @CsvSource(delimiter = '|', value = {
            "alpha|alpha",
            "my agent (ci)|my agent (ci)",
            "a,b|\"a,b\"",
            "k=v|\"k=v\"",
            "host:port|\"host:port\"",
            "say \"hi\"|\"say \\\"hi\\\"\"",
            "star*|\"star\\*\"",
            "what?|\"what\\?\"",
            "back\\slash|back\\slash",
    })
    void agentNamesBecomeValuesThatReadBackUnchanged(String agent, String shown) throws Exception {
        ObjectName name = nameOf("/app", "creddy.requests", "agent", agent, "status", "200");
        assertEquals(shown, name.getKeyProperty("agent"));
        String value = name.getKeyProperty("agent");
        assertEquals(agent, value.startsWith("\"") ? ObjectName.unquote(value) : value);
        assertEquals("requests", name.getKeyProperty("name"), "the domain says creddy; the name does not repeat it");
        assertEquals("\"/app\"", name.getKeyProperty("context"));
        assertEquals(new ObjectName("creddy:name=requests,context=\"/app\",agent=" + shown + ",status=200"), name);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"creddy.streams.open, streams.open", "creddy.upstream.time.to.head, upstream.time.to.head", "jvm.memory, jvm.memory"})
    void namesLoseThePrefix(String meter, String expected) {
        assertEquals(expected, nameOf("/", meter).getKeyProperty("name"));
        assertEquals("\"/\"", nameOf("/", meter).getKeyProperty("context"));
    }
}
