package dev.creddy.anthropic.it.servers;

/** Tomcat 10.1, the proxy at {@code /creddy-anthropic}: the README's steps for Tomcat, to the letter. */
class Tomcat10IT extends TomcatServer {

    @Override
    String homeProperty() {
        return "creddy.tomcat10.home";
    }

    @Override
    String contextName() {
        return "creddy-anthropic";
    }
}
