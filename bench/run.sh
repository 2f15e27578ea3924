#!/usr/bin/env bash
# The benchmarks of bench/README.md in one command: builds the proxy and the bench code, installs
# nginx and wrk from Debian when missing, starts the fake upstream, nginx and the proxy on 127.0.0.1,
# measures, stops everything by PID and writes bench/out/<time>/results.md.
#
#   bench/run.sh            the full run (about 12 minutes)
#   bench/run.sh --quick    a short smoke run (about 3 minutes; numbers are rough)
#   bench/run.sh --jfr      also records a JFR profile of each proxy (bench/out/<time>/proxy*.jfr)
#   bench/run.sh --parts overhead,streaming,bodies,concurrency,micro   a subset
#   bench/run.sh --parts stalled,gate   issue 15's measurements, by bench/security.sh (not mixed with the others)
#
# Nothing is pinned by default: a JVM pinned to one core picks the Serial collector and one HttpClient
# I/O thread, which is not how the proxy runs on a 2-vCPU node. BENCH_SUT_CPUS=1 BENCH_LOAD_CPUS=0
# pins the proxy and nginx to CPU 1 and the load generators, clients and fake upstream to CPU 0.
# BENCH_NICE (default -10) is the niceness of everything the run starts, so that other work on the
# shared cores disturbs the measurements less; BENCH_NICE=0 runs at normal priority.
# BENCH_PROXY_FLAGS adds launcher flags to the proxy (e.g. "--usage-metering off" to compare metering off and on).
# BENCH_PROXY_JVM_ARGS adds JVM options to the proxy (e.g. a JFR recording with other settings than
# --jfr's "profile").
# BENCH_JAR runs that standalone jar instead of the one just built (an older build, for a before/after pair of runs
# with the same peers).
# BENCH_HEAP_DUMP=1 also writes a heap dump of the proxy at each held-streams count (bench/out/<time>/held-*.hprof,
# hundreds of MB); bench/hprof-arrays.py sizes the buffers in it. The class histogram and thread dump are always written.
set -euo pipefail
cd "$(dirname "$0")/.."

# Issue 15's parts (stalled: memory per stalled stream; gate: the model gate's cost) are bench/security.sh's.
case " $* " in *" --parts "*stalled*|*" --parts "*gate*) exec bench/security.sh "$@" ;; esac

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v nginx >/dev/null 2>&1 || need_apt+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v taskset >/dev/null 2>&1 || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update
  apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

out="bench/out/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

# 10,000 streams need about 20,000 sockets in the proxy; take whatever the hard limit allows.
ulimit -n "$(ulimit -Hn)"

sut_cpus="${BENCH_SUT_CPUS:-none}"
load_cpus="${BENCH_LOAD_CPUS:-none}"
if [ "$(nproc)" -lt 2 ]; then
  sut_cpus=none
  load_cpus=none
fi

echo "[bench] building the proxy and the benchmarks"
export MAVEN_ARGS="${MAVEN_ARGS:---batch-mode --no-transfer-progress}"
./mvnw -q -Pbench -DskipTests package
./mvnw -q -Pbench org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$out/classpath.txt" >/dev/null
classpath="target/test-classes:target/classes:$(cat "$out/classpath.txt")"

stop_started() {
  # The runner stops what it started; this catches anything left if the runner itself died.
  if [ -f "$out/pids" ]; then
    while read -r pid name; do
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "[bench] stopping $name ($pid)"
        kill "$pid" 2>/dev/null || true
      fi
    done < "$out/pids"
  fi
}
trap stop_started EXIT

pin=()
if [ "$load_cpus" != none ]; then
  pin=(taskset -c "$load_cpus")
fi
niceness="${BENCH_NICE:--10}"

# A hard bound, whatever happens inside.
timeout --signal=TERM --kill-after=30s 45m nice -n "$niceness" "${pin[@]}" java -cp "$classpath" dev.creddy.anthropic.bench.BenchRun \
  --out "$out" --jar "${BENCH_JAR:-target/creddy-anthropic-standalone.jar}" --conf bench/conf \
  --sut-cpus "$sut_cpus" --load-cpus "$load_cpus" "$@"
