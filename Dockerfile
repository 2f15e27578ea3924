# creddy-anthropic on the official Tomcat 10.1 / JDK 17 image, the proxy at the root context.
#   docker build -t creddy-anthropic .
#   docker run --rm -p 127.0.0.1:8080:8080 -e ANTHROPIC_API_KEY -e CREDDY_ISSUER_KEY creddy-anthropic
# The secrets come from the container's environment; tomcat-conf/creddy-anthropic.xml binds them in JNDI.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml LICENSE ./
COPY src src
RUN mvn --batch-mode --no-transfer-progress package -Dmaven.test.skip=true

FROM tomcat:10.1-jdk17
# The image ships no applications (the examples are in webapps.dist); the proxy is the only one.
COPY tomcat-conf/catalina.properties.fragment /tmp/
RUN cat /tmp/catalina.properties.fragment >> conf/catalina.properties && rm /tmp/catalina.properties.fragment
COPY tomcat-conf/creddy-anthropic.xml conf/Catalina/localhost/ROOT.xml
COPY --from=build /src/target/creddy-anthropic-tomcat.war webapps/ROOT.war
# Not root: Tomcat only writes its logs, temporary files and the unpacked WAR.
RUN useradd --system --no-create-home creddy && chown -R creddy logs temp work webapps
USER creddy
EXPOSE 8080
