package dev.creddy.anthropic.standalone;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.startup.Tomcat;

/**
 * Builds the launcher's client-facing HTTP connector with the {@link ConnectorLimits} and installs what
 * makes it safe to face unauthenticated clients: the per-address cap ({@link AddressCappedEndpoint}), no
 * swallowing of bodies left unread ({@link UnreadBodyValve}), JSON error reports without the server's
 * version ({@link JsonErrorReportValve}), and no request data in the connector's parse-error log lines.
 * tomcat-conf/README.md gives app servers the same settings. Used once, at start-up, on one thread.
 */
final class ClientConnector {

    /**
     * Loggers whose lines about unparseable requests quote the request: the header line (an issuer key,
     * a {@code crd_} token), the request target. Held strongly so their level sticks.
     */
    private static final List<Logger> QUOTING_LOGGERS = List.of(
            Logger.getLogger("org.apache.coyote.http11.Http11Processor"),
            Logger.getLogger("org.apache.coyote.http11.Http11InputBuffer"),
            Logger.getLogger("org.apache.tomcat.util.http.Parameters"));

    private ClientConnector() {
    }

    /** Adds the connector to {@code tomcat} and returns it. */
    static Connector install(Tomcat tomcat, ListenAddress address, ConnectorLimits limits) {
        keepRequestDataOutOfLogs();
        Connector connector = new Connector(new LeanHttp11Protocol(new AddressCappedEndpoint(limits.maxConnectionsPerAddress())));
        connector.setPort(address.port());
        if (address.host() != null) {
            connector.setProperty("address", address.host());
        }
        // Long streams each hold a connection; the NIO connector parks idle ones without a thread. The
        // total is bounded by the heap they cost (ConnectorLimits.PER_CONNECTION_HEAP each).
        connector.setProperty("maxConnections", Integer.toString(limits.effectiveMaxConnections(Runtime.getRuntime().maxMemory())));
        connector.setProperty("connectionTimeout", Long.toString(limits.connectionTimeout().toMillis()));
        connector.setProperty("disableUploadTimeout", "false");
        connector.setProperty("connectionUploadTimeout", Long.toString(limits.uploadTimeout().toMillis()));
        connector.setProperty("keepAliveTimeout", Long.toString(limits.keepAliveTimeout().toMillis()));
        connector.setProperty("maxKeepAliveRequests", Integer.toString(limits.maxKeepAliveRequests()));
        connector.setProperty("maxSwallowSize", Integer.toString(limits.maxSwallowSize()));
        connector.setProperty("maxThreads", Integer.toString(limits.effectiveMaxThreads(Runtime.getRuntime().availableProcessors())));
        // Every open stream holds its connection's socket buffers (8 KB each way by default). Data larger
        // than the write buffer goes to the socket directly, and reads of bodies only take more calls, so
        // 4 KB each way costs little and saves 8 KB per stream (bench/README, held streams).
        connector.setProperty("socket.appReadBufSize", Integer.toString(LeanHttp11Protocol.SOCKET_BUFFER));
        connector.setProperty("socket.appWriteBufSize", Integer.toString(LeanHttp11Protocol.SOCKET_BUFFER));
        tomcat.getService().addConnector(connector);
        tomcat.setConnector(connector);
        tomcat.getEngine().getPipeline().addValve(new UnreadBodyValve());
        ((StandardHost) tomcat.getHost()).setErrorReportValveClass(JsonErrorReportValve.class.getName());
        return connector;
    }

    /**
     * Tomcat logs the first unparseable request at INFO, quoting it (its {@code UserDataHelper}):
     * {@code NONE} turns those lines off, and the loggers' level keeps anything below a warning out
     * should a line escape that switch.
     */
    private static void keepRequestDataOutOfLogs() {
        if (System.getProperty("org.apache.juli.logging.UserDataHelper.CONFIG") == null) {
            System.setProperty("org.apache.juli.logging.UserDataHelper.CONFIG", "NONE");
        }
        for (Logger logger : QUOTING_LOGGERS) {
            logger.setLevel(Level.WARNING);
        }
    }
}
