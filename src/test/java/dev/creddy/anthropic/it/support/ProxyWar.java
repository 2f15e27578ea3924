package dev.creddy.anthropic.it.support;

import java.io.File;
import java.util.Map;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/**
 * The Tomcat WAR that {@code package} built, as Arquillian deploys it: unchanged but for a
 * {@code META-INF/context.xml} that provisions settings through JNDI {@code <Environment>} entries,
 * the way a Tomcat operator would.
 */
public final class ProxyWar {

    /** The real key the tests' proxies hold; it must never reach a client or a log. */
    public static final String REAL_KEY = "sk-ant-api03-test-REAL-KEY-never-leaks-0123456789";
    /** The issuer key of the tests' proxies. */
    public static final String ISSUER_KEY = "issuer-test-key-4f1c2d";

    private ProxyWar() {
    }

    /** The built WAR under {@code archiveName} (its context path), with these JNDI settings. */
    public static WebArchive withSettings(String archiveName, Map<String, String> settings) {
        return withSettings(archiveName, settings, "");
    }

    /** The same, with more elements for the context (a realm, say). */
    public static WebArchive withSettings(String archiveName, Map<String, String> settings, String moreContext) {
        File war = new File(System.getProperty("creddy.war", "target/creddy-anthropic-tomcat.war"));
        StringBuilder context = new StringBuilder("<Context>\n");
        settings.forEach((name, value) -> context.append("  <Environment name=\"creddy/").append(xml(name))
                .append("\" type=\"java.lang.String\" value=\"").append(xml(value)).append("\" override=\"false\"/>\n"));
        context.append(moreContext).append("\n</Context>\n");
        return ShrinkWrap.create(ZipImporter.class, archiveName).importFrom(war).as(WebArchive.class)
                .addAsManifestResource(new StringAsset(context.toString()), "context.xml");
    }

    /** The usual settings: the real key, the fake upstream, the issuer key. */
    public static Map<String, String> standardSettings() {
        return Map.of(
                "anthropic-api-key", REAL_KEY,
                "upstream-url", FakeAnthropic.shared().baseUrl(),
                "issuer-key", ISSUER_KEY);
    }

    private static String xml(String text) {
        return text.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
