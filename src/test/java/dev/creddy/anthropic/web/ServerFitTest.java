package dev.creddy.anthropic.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which WAR fits which server: the decisions behind {@link CdiClashCheck} and the messages of {@link WarFlavour}. */
class ServerFitTest {

    private static final ClassLoader APPLICATION = ServerFitTest.class.getClassLoader();
    private static final ClassLoader SERVER = new URLClassLoader(new URL[0], null);

    @ParameterizedTest(name = "carries Weld servlet: {0}, CDI runs from the WAR: {1} -> clash: {2}")
    @CsvSource({
            "true,  false, true",   // the Tomcat WAR on WildFly or Payara
            "true,  true,  false",  // the Tomcat WAR on Tomcat: its own Weld runs it
            "false, false, false",  // the EE WAR on an EE server
            "false, true,  false",  // no Weld servlet in the WAR, so nothing of it runs
    })
    void twoCdiContainersClashOnlyWhenTheWarBringsOneAndTheServerRunsAnother(boolean carriesWeld, boolean fromWar, boolean clash) {
        assertEquals(clash, CdiClashCheck.clashes(carriesWeld, fromWar ? APPLICATION : SERVER, APPLICATION));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "EE|Apache Tomcat/11.0.24 has no CDI|creddy-anthropic: creddy-anthropic.war is for Jakarta EE 10 servers (WildFly, Payara),"
                    + " which provide CDI and JSON-B, but Apache Tomcat/11.0.24 has no CDI: deploy creddy-anthropic-tomcat.war instead.",
            "TOMCAT|this server runs CDI itself|creddy-anthropic: creddy-anthropic-tomcat.war is for Tomcat 10.1 and 11, and brings"
                    + " its own CDI container (Weld servlet), but this server runs CDI itself: deploy creddy-anthropic.war instead.",
    })
    void aMisfitNamesTheWarToDeployInstead(WarFlavour deployed, String misfit, String message) {
        assertEquals(message, deployed.deployedWhere(misfit).getMessage());
    }
}
