package dev.creddy.anthropic.it.support;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.startup.CatalinaProperties;
import org.apache.catalina.startup.Tomcat;
import org.jboss.arquillian.container.spi.client.container.LifecycleException;
import org.jboss.arquillian.container.tomcat.embedded.EmbeddedContextConfig;
import org.jboss.arquillian.container.tomcat.embedded.EmbeddedHostConfig;
import org.jboss.arquillian.container.tomcat.embedded.Tomcat10EmbeddedContainer;
import org.jboss.arquillian.container.tomcat.embedded.TomcatEmbeddedConfiguration;

/**
 * Arquillian's embedded Tomcat 10 container, started the same way but bound to the configured
 * address only: the stock container (1.2.0.Final) uses {@code bindAddress} for the host name and
 * never for the connector, so Tomcat would listen on every interface. Tests must listen on
 * loopback only. Its base directory lives under {@code target/}.
 */
public class LoopbackTomcatContainer extends Tomcat10EmbeddedContainer {

    private TomcatEmbeddedConfiguration configuration;

    @Override
    public void setup(TomcatEmbeddedConfiguration configuration) {
        super.setup(configuration);
        this.configuration = configuration;
    }

    @Override
    protected void startTomcatEmbedded() throws LifecycleException, org.apache.catalina.LifecycleException {
        try {
            Path root = Path.of(System.getProperty("creddy.it.tomcat.base", "target/it-tomcat"));
            File base = Files.createTempDirectory(Files.createDirectories(root), "tomcat-").toFile();
            System.setProperty("catalina.base", base.getAbsolutePath());
            CatalinaProperties.getProperty("package.access"); // loads catalina.properties against that base
            File appBase = new File(base, "webapps");
            if (!appBase.mkdirs()) {
                throw new IOException("cannot create " + appBase);
            }

            Tomcat tomcat = new Tomcat();
            tomcat.getService().setName(configuration.getServerName());
            tomcat.setHostname(configuration.getBindAddress());
            tomcat.setPort(configuration.getBindHttpPort());
            tomcat.setBaseDir(base.getAbsolutePath());
            tomcat.getConnector().setProperty("address", configuration.getBindAddress());
            tomcat.enableNaming();
            tomcat.getEngine().setName(configuration.getServerName());

            StandardHost host = new StandardHost();
            host.setName(configuration.getBindAddress());
            host.setAppBase(appBase.getAbsolutePath());
            host.setDeployOnStartup(false);
            host.setAutoDeploy(false);
            host.setConfigClass(EmbeddedContextConfig.class.getCanonicalName());
            host.setUnpackWARs(configuration.isUnpackArchive());
            EmbeddedHostConfig hostConfig = new EmbeddedHostConfig();
            host.addLifecycleListener(hostConfig);
            tomcat.getEngine().addChild(host);
            tomcat.start();

            // The parent keeps these in private fields that its deploy/undeploy/stop use.
            set("tomcat", tomcat);
            set("host", host);
            set("embeddedHostConfig", hostConfig);
            set("appBase", appBase);
            set("wasStarted", true);
        } catch (ReflectiveOperationException | IOException e) {
            throw new LifecycleException("could not start embedded Tomcat on " + configuration.getBindAddress(), e);
        }
    }

    private void set(String name, Object value) throws ReflectiveOperationException {
        Field field = Tomcat10EmbeddedContainer.class.getDeclaredField(name);
        field.setAccessible(true);
        field.set(this, value);
    }
}
