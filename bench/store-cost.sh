#!/usr/bin/env bash
# What the token store costs a request: validation (memory vs Redis, cache hit vs miss) and usage admission and recording.
# Needs redis-server on PATH (apt-get install -y redis-server). Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q compile dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=target/bench.classpath
exec java -cp "target/classes:$(cat target/bench.classpath)" bench/StoreCost.java
