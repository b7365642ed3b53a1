#!/usr/bin/env bash
# What the gateway adds to a call, from a fresh clone: builds the jar, starts a mock upstream that
# answers in 0 ms and the gateway (pinned to its own CPU, as the README runs it), runs direct vs
# gateway with wrk at 1/16/64 connections and a streaming time-to-first-token probe, and prints the
# performance table plus target/bench/<label>-latest.json. Loopback only; about 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: bench/run.sh [options]

load
  --conns LIST           connection counts                           (default 1,16,64)
  --duration S           measured seconds per step                   (default 15)
  --warmup S             unrecorded seconds before each step         (default 3)
  --prewarm S            one unrecorded warm-up at the highest count (default 20; 60 with --profile)
  --reps N               repetitions, direct/gateway order alternating (default 2)
  --stream-requests N    streamed requests each way for time to first token (default 200)

variants (added latency must not grow with any of them)
  --prompt-scale N       N times the prompt text (10 = "10x larger prompts")
  --keys N               N distinct API keys made through POST /api/v1/keys, rotated per request
  --postgres             request log (and keys) on the PostgreSQL at 127.0.0.1:5432, fresh
                         database llm_gateway_bench, instead of the embedded H2
  --database-url URL     any DATABASE_URL
  --env NAME=VALUE       extra gateway environment (repeatable), e.g. to switch on rate limits,
                         budgets or routing
  --java-opts 'OPTS'     JVM options added to bin/gateway's own (JAVA_OPTS; default: none, as the README runs it)
  --gw-cmd 'CMD'         start the gateway with CMD instead (run from the repository root)

comparison
  --floor-dir DIR        where ref-proxy.mjs (the bare node proxy floor) lives
                         (default ../shared/bench); run only when node is installed
  --no-floor             skip the floor

profile (instead of the table)
  --profile              async-profiler CPU, wall-clock and allocation profiles of the gateway at
                         the lowest and highest connection count; flame graphs + profile.md
  --profile-seconds S    seconds per profile                          (default 20)

other
  --pin auto|off|L:G     CPUs for load (wrk, mock) and gateway; auto = gateway on the last CPU
  --label NAME           results name                                (default gateway)
  --out DIR              results folder                              (default target/bench)
  --no-build             use the existing target/llm-gateway.jar
EOF
}

BUILD=1
PROFILE=0
ARGS=()
for a in "$@"; do
  case "$a" in
    -h|--help) usage; exit 0;;
    --no-build) BUILD=0;;
    --profile) PROFILE=1; ARGS+=("$a");;
    *) ARGS+=("$a");;
  esac
done

need() { command -v "$1" >/dev/null 2>&1; }
# The gateway needs a JDK 21+: the one bin/gateway would run it with, first on the PATH.
java_bin=$(bin/gateway --which-java) || { echo "bench: a JDK 21+ is needed" >&2; exit 2; }
export JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$java_bin")")")"
export PATH="$JAVA_HOME/bin:$PATH"
need javac || { echo "bench: a JDK (javac) is needed, not only a JRE" >&2; exit 2; }
if ! need wrk; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "bench: installing wrk (apt-get install -y wrk)" >&2
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null; }
  fi
  need wrk || { echo "bench: wrk is needed: apt-get install wrk (Debian/Ubuntu), brew install wrk, or build github.com/wg/wrk" >&2; exit 2; }
fi
need taskset || echo "bench: taskset not found (util-linux): the gateway will not be pinned to one core" >&2

if [ "$BUILD" = 1 ] || [ ! -f target/llm-gateway.jar ]; then
  echo "bench: building target/llm-gateway.jar" >&2
  mvn -q -B package -DskipTests
fi

if [ "$PROFILE" = 1 ]; then
  AP_VERSION=4.2
  AP_JAR="target/bench-tools/async-profiler-$AP_VERSION-linux-x64.jar"
  if [ ! -f "$AP_JAR" ]; then
    mvn -q -B dependency:copy -Dartifact="tools.profiler:async-profiler:$AP_VERSION:jar:linux-x64" \
      -DoutputDirectory=target/bench-tools
  fi
  ARGS+=(--async-profiler-jar "$AP_JAR")
fi

rm -rf target/bench-classes
javac -d target/bench-classes -cp target/llm-gateway.jar bench/*.java
exec java -XX:+UseSerialGC -Xmx256m -cp target/bench-classes:target/llm-gateway.jar GatewayBench ${ARGS[@]+"${ARGS[@]}"}
