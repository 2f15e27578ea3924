package dev.creddy.anthropic.observe;

import jakarta.enterprise.inject.Stereotype;
import jakarta.inject.Singleton;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A bean made once per deployment and injected as itself, without a CDI client proxy: for beans that
 * every request calls (the token check, the audit trail, the metrics).
 *
 * <p>An {@code @ApplicationScoped} bean is injected as a Weld client proxy, which looks the instance up
 * in its context on every call and dispatches calls to non-public methods by reflection
 * ({@code Method.invoke}); under load that was a tenth of the proxy's CPU (bench/README). The
 * {@link Singleton} pseudo-scope has no proxy, and it is enough for a bean that is created once, has
 * no state that a proxy would have to hide (no lazy start, no circular injection), and is stopped with
 * the deployment ({@code @PreDestroy} runs when the container shuts down, as for application scope).
 *
 * <p>A stereotype because {@code @Singleton} alone is not a bean-defining annotation: with
 * {@code bean-discovery-mode="annotated"} a class carrying only it would not be found.
 */
@Stereotype
@Singleton
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface DeploymentSingleton {
}
