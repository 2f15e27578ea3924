package dev.creddy.anthropic.web;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

/**
 * Stops the EE WAR deployed on a plain servlet container such as Tomcat, where nothing would inject
 * the servlets. There is no CDI at all in that case, so this check is a servlet listener and uses
 * nothing but the Servlet API. Stateless and thread-safe.
 */
@WebListener
public final class CdiMissingCheck implements ServletContextListener {

    private static final String CDI_API_CLASS = "jakarta.enterprise.inject.spi.CDI";

    @Override
    public void contextInitialized(ServletContextEvent event) {
        if (!canLoad(CDI_API_CLASS, event.getServletContext().getClassLoader())) {
            throw WarFlavour.EE.deployedWhere(event.getServletContext().getServerInfo() + " has no CDI");
        }
    }

    private static boolean canLoad(String className, ClassLoader loader) {
        try {
            Class.forName(className, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
