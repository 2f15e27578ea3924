# creddy-anthropic on the official Tomcat 10.1 / JDK 17 image, the proxy at the root context.
#   docker build -t creddy-anthropic .
#   docker run --restart on-failure -p 127.0.0.1:8080:8080 -e ANTHROPIC_API_KEY -e CREDDY_ISSUER_KEY creddy-anthropic
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
# The client connection limits of tomcat-conf/connector.xml.fragment on the image's HTTP connector, and the error
# report valve of tomcat-conf/server.xml.fragment (no server version, no echo of a malformed request).
RUN sed -i 's|<Connector port="8080" protocol="HTTP/1.1"|<Connector port="8080" protocol="HTTP/1.1" maxConnections="6553" disableUploadTimeout="false" connectionUploadTimeout="30000" keepAliveTimeout="65000" maxKeepAliveRequests="10000" maxSwallowSize="4096"|' conf/server.xml \
 && sed -i 's|</Host>|<Valve className="org.apache.catalina.valves.ErrorReportValve" showReport="false" showServerInfo="false"/></Host>|' conf/server.xml \
 && grep -q 'maxSwallowSize="4096"' conf/server.xml
# An explicit heap (maxConnections above is 40% of it at 64 KB a connection), and an exit on running out of it,
# so that Docker's restart policy (--restart on-failure) brings back a process that would otherwise stay half dead.
ENV CATALINA_OPTS="-Xms1g -Xmx1g -XX:+ExitOnOutOfMemoryError"
# Not root: Tomcat only writes its logs, temporary files and the unpacked WAR.
RUN useradd --system --no-create-home creddy && chown -R creddy logs temp work webapps
USER creddy
EXPOSE 8080
