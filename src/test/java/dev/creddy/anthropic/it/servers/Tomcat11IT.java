package dev.creddy.anthropic.it.servers;

/** Tomcat 11, the proxy at a nested context path, {@code /ai/creddy}: the WAR works under any path. */
class Tomcat11IT extends TomcatServer {

    @Override
    String homeProperty() {
        return "creddy.tomcat11.home";
    }

    @Override
    String contextName() {
        return "ai#creddy";
    }
}
