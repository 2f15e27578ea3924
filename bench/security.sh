#!/usr/bin/env bash
# Issue 15's measurements (bench/README.md, "Security measurements"): memory per stalled stream (S13) and
# the cost of holding the upstream exchange until the model allowlist has decided (S15). Builds like
# run.sh, starts the bench's fake upstream and the standalone proxy on 127.0.0.1, stops them by PID,
# writes bench/out/<time>/security.md. About 3 minutes (--quick: 1).
#
#   bench/security.sh [--quick] [--parts stalled,gate]
#   bench/run.sh --parts stalled,gate     the same, through run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="bench/out/$(date -u +%Y%m%dT%H%M%SZ)-security"
mkdir -p "$out"
export MAVEN_ARGS="${MAVEN_ARGS:---batch-mode --no-transfer-progress}"
./mvnw -q -Pbench -DskipTests package
./mvnw -q -Pbench org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$out/classpath.txt" >/dev/null
classpath="target/test-classes:target/classes:$(cat "$out/classpath.txt")"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) args+=(--quick) ;;
    --parts) args+=(--parts "$2"); shift ;;
    *) ;;
  esac
  shift
done
timeout --signal=TERM --kill-after=30s 20m java -cp "$classpath" dev.creddy.anthropic.bench.SecurityBench \
  --out "$out" --jar target/creddy-anthropic-standalone.jar "${args[@]}"
