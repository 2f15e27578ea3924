package dev.creddy.anthropic.web;

import java.util.logging.Logger;

/**
 * The two WARs the build ships from the same sources. A WAR on the wrong kind of server would
 * half-work at best (servlets without injection, or two CDI containers fighting over one
 * application), so {@link CdiMissingCheck} and {@link CdiClashCheck} stop its deployment with a
 * message that names the WAR to deploy instead. Immutable.
 */
enum WarFlavour {
    EE("creddy-anthropic.war", "Jakarta EE 10 servers (WildFly, Payara), which provide CDI and JSON-B"),
    TOMCAT("creddy-anthropic-tomcat.war", "Tomcat 10.1 and 11, and brings its own CDI container (Weld servlet)");

    private static final Logger LOG = Logger.getLogger(WarFlavour.class.getName());

    private final String fileName;
    private final String meantFor;

    WarFlavour(String fileName, String meantFor) {
        this.fileName = fileName;
        this.meantFor = meantFor;
    }

    String fileName() {
        return fileName;
    }

    /**
     * The failure that stops this WAR on a server it does not fit, logged to the server's main log
     * as well (the deployment error alone may end up in a per-application log an operator never opens).
     *
     * @param misfit what about the server rules this WAR out, e.g. "Apache Tomcat/10.1.59 has no CDI"
     */
    IllegalStateException deployedWhere(String misfit) {
        String message = "creddy-anthropic: " + fileName + " is for " + meantFor + ", but " + misfit
                + ": deploy " + other().fileName + " instead.";
        LOG.severe(message);
        return new IllegalStateException(message);
    }

    private WarFlavour other() {
        return this == EE ? TOMCAT : EE;
    }
}
