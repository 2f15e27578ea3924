package dev.creddy.anthropic.standalone;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * Runs the very Tomcat WAR that {@code package} built in an embedded Tomcat, configured from the original
 * tool's flags. The WAR travels inside this jar and is unpacked to a temporary base directory that
 * is removed again at exit.
 */
public final class Launcher {

    /** The Tomcat flavour of the WAR: embedded Tomcat has no CDI or JSON-B of its own either. */
    private static final String WAR_RESOURCE = "/creddy-anthropic-tomcat.war";

    private final LaunchOptions options;
    private final Path baseDir;
    private final Tomcat tomcat = new Tomcat();

    private Launcher(LaunchOptions options, Path baseDir) {
        this.options = options;
        this.baseDir = baseDir;
    }

    public static void main(String[] args) {
        LaunchOptions options;
        try {
            options = LaunchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("creddy-anthropic: " + e.getMessage());
            System.err.println("Run with --help to see the options.");
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.print(LaunchOptions.usage());
            return;
        }
        try {
            Launcher launcher = new Launcher(options, Files.createTempDirectory("creddy-anthropic-"));
            Runtime.getRuntime().addShutdownHook(new Thread(launcher::stop, "creddy-shutdown"));
            launcher.start();
            launcher.tomcat.getServer().await();
        } catch (SettingsFailure.MisconfiguredException e) {
            System.err.println("creddy-anthropic: " + e.getMessage());
            System.exit(2);
        } catch (IOException | LifecycleException | RuntimeException e) {
            System.err.println("creddy-anthropic: could not start: " + e.getMessage());
            System.exit(1);
        }
    }

    private void start() throws IOException, LifecycleException {
        tomcat.setBaseDir(baseDir.toString());
        Connector connector = ClientConnector.install(tomcat, options.address(), options.connector());
        tomcat.getHost().setAutoDeploy(false);
        Path appBase = Files.createDirectories(baseDir.resolve("webapps"));
        tomcat.getHost().setAppBase(appBase.toString());
        // The WAR's own web.xml and servlets are the whole application; no default JSP or file servlet.
        tomcat.setAddDefaultWebXmlToWebapp(false);

        Context context = tomcat.addWebapp(options.contextPath(), extractWar().toString());
        for (Map.Entry<String, String> setting : options.settings().entrySet()) {
            context.addParameter("creddy." + setting.getKey(), setting.getValue());
        }
        SettingsFailure settingsFailure = SettingsFailure.watch();
        try {
            tomcat.start();
        } catch (LifecycleException e) {
            settingsFailure.note(e);
            settingsFailure.throwIfRefused();
            throw e;
        } finally {
            settingsFailure.stopWatching();
        }
        if (!context.getState().isAvailable()) {
            settingsFailure.throwIfRefused();
            throw new IllegalStateException("the application did not start; see the log above");
        }
        System.out.println("creddy-anthropic listening on http://" + options.address().urlHost() + ":"
                + connector.getLocalPort() + options.contextPath());
        System.out.flush();
    }

    private Path extractWar() throws IOException {
        Path war = baseDir.resolve(WAR_RESOURCE.substring(1));
        try (InputStream in = Launcher.class.getResourceAsStream(WAR_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("this jar holds no " + WAR_RESOURCE + "; build it with ./mvnw package");
            }
            Files.copy(in, war, StandardCopyOption.REPLACE_EXISTING);
        }
        return war;
    }

    private void stop() {
        try {
            tomcat.stop();
            tomcat.destroy();
        } catch (LifecycleException e) {
            System.err.println("creddy-anthropic: stopping: " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(baseDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            System.err.println("creddy-anthropic: could not remove " + baseDir + ": " + e.getMessage());
        }
    }
}
