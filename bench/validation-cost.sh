#!/usr/bin/env bash
# What one token validation costs: memory store vs Redis store, cache hit vs miss.
# Needs redis-server on PATH (apt-get install -y redis-server). Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q compile dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=target/bench.classpath
exec java -cp "target/classes:$(cat target/bench.classpath)" bench/ValidationCost.java
