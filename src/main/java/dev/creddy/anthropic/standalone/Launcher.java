package dev.creddy.anthropic.standalone;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.LogManager;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;

/**
 * Runs the very Tomcat WAR that {@code package} built in an embedded Tomcat, configured from the original
 * tool's flags. The WAR travels inside this jar and is unpacked to a temporary base directory that
 * is removed again at exit.
 *
 * <p>Start-up says what is wrong in one line: a wrong setting ends it with exit code 2 and that
 * setting's message (naming the flag, environment variable or JNDI name it came from), a listener
 * that cannot bind with exit code 1 and {@code cannot listen on HOST:PORT: <reason>}. Audit lines go
 * to stdout (or {@code --audit-log}), everything else to stderr ({@link ConsoleLogging}).
 */
public final class Launcher {

    /** The context parameter that lists the settings given as flags, so messages name the flag (web/ContextParamSettingsSource). */
    private static final String FROM_FLAGS = "creddy.from-flags";
    /** Set by the application (web.SettingsProducer) to its resolved {@code shutdown-grace}, in milliseconds. */
    private static final String SHUTDOWN_GRACE_ATTRIBUTE = "creddy.shutdown-grace-millis";

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
        // Before anything touches java.util.logging: the manager is chosen once, at its first use.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", StopLastLogManager.class.getName());
        }
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
        ConsoleLogging logging;
        try {
            logging = ConsoleLogging.install(options.auditLog());
        } catch (IOException e) {
            System.err.println("creddy-anthropic: --audit-log: cannot write " + options.auditLog() + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            if (LogManager.getLogManager() instanceof StopLastLogManager manager) {
                // What a stop logs (the audit lines of the streams it lets finish) is written, not dropped.
                manager.hold();
            }
            Launcher launcher = new Launcher(options, Files.createTempDirectory("creddy-anthropic-"));
            Runtime.getRuntime().addShutdownHook(new Thread(launcher::stop, "creddy-shutdown"));
            StartFailure failure = launcher.start(logging);
            if (failure != null) {
                // The one line that says what is wrong; Tomcat's account of it is noise here.
                logging.silence();
                failure.lines().forEach(line -> System.err.println("creddy-anthropic: " + line));
                System.exit(failure.exitCode());
                return;
            }
            logging.release();
            System.err.println("creddy-anthropic listening on " + launcher.url());
            launcher.tomcat.getServer().await();
        } catch (IOException | LifecycleException | RuntimeException e) {
            logging.release();
            System.err.println("creddy-anthropic: could not start: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Why a start failed, in the lines to print and the exit code: 2 for a wrong setting (like a
     * wrong flag: the command must change), 1 for a listener that cannot bind.
     */
    private record StartFailure(List<String> lines, int exitCode) {
    }

    private StartFailure start(ConsoleLogging logging) throws IOException, LifecycleException {
        tomcat.setBaseDir(baseDir.toString());
        Connector connector = ClientConnector.install(tomcat, options.address(), options.connector());
        tomcat.getHost().setAutoDeploy(false);
        Path appBase = Files.createDirectories(baseDir.resolve("webapps"));
        tomcat.getHost().setAppBase(appBase.toString());
        // The WAR's own web.xml and servlets are the whole application; no default JSP or file servlet.
        tomcat.setAddDefaultWebXmlToWebapp(false);

        Context context = tomcat.addWebapp(options.contextPath(), extractWar().toString());
        if (context instanceof StandardContext standard) {
            // The JVM ends with the application: Tomcat's class-loader leak checks protect redeployments
            // this process never does, and on Java 17 each only warns that it lacks an --add-opens.
            standard.setSkipMemoryLeakChecksOnJvmShutdown(true);
        }
        for (Map.Entry<String, String> setting : options.settings().entrySet()) {
            context.addParameter("creddy." + setting.getKey(), setting.getValue());
        }
        context.addParameter(FROM_FLAGS, String.join(",", options.settings().keySet()));
        return started(context, logging);
    }

    /**
     * Starts Tomcat and tells whether it really serves: the application started and every
     * connector holds its address. Tomcat itself only logs a connector that cannot bind and keeps
     * running without a listener, and answers a failed application with "a child container failed".
     *
     * @return null when it serves, else why not
     */
    private StartFailure started(Context context, ConsoleLogging logging) throws LifecycleException {
        LifecycleException failed = null;
        try {
            tomcat.start();
        } catch (LifecycleException e) {
            failed = e;
        }
        List<String> problems = logging.settingProblems();
        if (!problems.isEmpty()) {
            return new StartFailure(problems, 2);
        }
        for (Connector connector : tomcat.getService().findConnectors()) {
            if (connector.getState() != LifecycleState.STARTED || connector.getLocalPort() < 0) {
                String reason = logging.bindFailure().map(Launcher::lowerCaseStart).orElse("the connector did not start");
                return new StartFailure(List.of("cannot listen on " + listenAddress(connector) + ": " + reason), 1);
            }
        }
        if (failed != null) {
            throw failed;
        }
        if (!context.getState().isAvailable()) {
            throw new IllegalStateException("the application did not start; see the log above");
        }
        // A stop waits this long for async requests in flight (streams) before Tomcat times them out;
        // its own default is 2 s, far shorter than a stream. The application resolved the setting.
        if (context instanceof StandardContext standard
                && context.getServletContext().getAttribute(SHUTDOWN_GRACE_ATTRIBUTE) instanceof Long grace) {
            standard.setUnloadDelay(grace);
        }
        return null;
    }

    /** The address a connector was told to listen on, as {@code --addr} takes it: {@code 127.0.0.1:8080}, {@code :8080}. */
    private static String listenAddress(Connector connector) {
        Object address = connector.getProperty("address");
        String host = "";
        if (address instanceof InetAddress inet) {
            host = inet instanceof Inet6Address ? "[" + inet.getHostAddress() + "]" : inet.getHostAddress();
        } else if (address != null) {
            host = address.toString();
        }
        return host + ":" + connector.getPort();
    }

    private static String lowerCaseStart(BindException e) {
        String message = e.getMessage() == null ? "cannot bind" : e.getMessage();
        return message.isEmpty() ? message : Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }

    /** Where the application serves, with the port the connector took (for {@code --addr HOST:0}). */
    private String url() {
        return "http://" + options.address().urlHost() + ":" + tomcat.getConnector().getLocalPort() + options.contextPath();
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
        if (LogManager.getLogManager() instanceof StopLastLogManager manager) {
            manager.release();
        }
    }
}
