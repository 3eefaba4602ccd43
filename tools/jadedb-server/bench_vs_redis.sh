#!/usr/bin/env bash
# jadedb-server vs Redis with redis-benchmark, same machine, same run (issue 6).
#   tools/jadedb-server/bench_vs_redis.sh [BUILD_DIR] [REQUESTS] [RUNS]
# Starts jadedb-server (each engine, --sync everysec) and redis-server (appendonly yes,
# appendfsync everysec, no RDB) on free loopback ports in temporary directories, runs
#   redis-benchmark -t set,get,incr,mset -n REQUESTS -c 50 -P 16
# against each, and prints a Markdown table (rps, p50, p99 from redis-benchmark --csv). With
# RUNS > 1 (default 1) it does that RUNS times and then prints each engine's requests/s as a
# ratio to redis-server's of the same run, per run and their median (the machine is noisy).
set -euo pipefail
BUILD_DIR=${1:-build}
N=${2:-1000000}
RUNS=${3:-1}
SERVER=$BUILD_DIR/tools/jadedb-server/jadedb-server
TMP=$(mktemp -d /tmp/jadedb-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

run_bench() {  # name port
  redis-benchmark -p "$2" -t set,get,incr,mset -n "$N" -c 50 -P 16 --csv 2>/dev/null |
    tail -n +2 | tr -d '"' |
    awk -F, -v name="$1" '{ printf "| %s | %s | %.0f | %.3f | %.3f |\n", name, $1, $2, $5, $7 }'
}

one_run() {  # each run starts from empty data directories
  local dir
  dir=$(mktemp -d "$TMP/run-XXXX")
  echo "| Server | Test | Requests/s | p50 (ms) | p99 (ms) |"
  echo "|--------|------|-----------:|---------:|---------:|"
  for engine in lsm bplustree; do
    port=$(free_port)
    "$SERVER" --dir "$dir/$engine" --engine "$engine" --port "$port" --http-port 0 \
      --sync everysec 2>"$dir/$engine.log" &
    pid=$!
    PIDS+=("$pid")
    if wait_port "$port"; then
      run_bench "jadedb-server ($engine)" "$port"
    else
      echo "| jadedb-server ($engine) | (did not start: $(head -c 200 "$dir/$engine.log")) | | | |"
    fi
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
  port=$(free_port)
  mkdir -p "$dir/redis"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir/redis" --appendonly yes \
    --appendfsync everysec --save '' --daemonize no >"$dir/redis.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_port "$port"
  run_bench "redis-server $(redis-server --version | awk '{print $3}' | cut -d= -f2)" "$port"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

if [ "$RUNS" -le 1 ]; then
  one_run
  exit 0
fi
for r in $(seq "$RUNS"); do
  echo
  echo "Run $r:"
  echo
  one_run | tee "$TMP/run$r.md"
done
echo
echo "Requests/s ratio to redis-server (run 1 / run 2 / ... -> median):"
echo
echo "| | SET | GET | INCR | MSET (10 keys) |"
echo "| :-- | --: | --: | --: | --: |"
for engine in lsm bplustree; do
  row="| $engine |"
  for t in SET GET INCR "MSET (10 keys)"; do
    ratios=()
    for r in $(seq "$RUNS"); do
      ratios+=("$(awk -F' [|] ' -v e="($engine)" -v t="$t" '
        index($1, "jadedb-server " e) && $2 == t { j = $3 }
        index($1, "redis-server") && $2 == t { rd = $3 }
        END { if (j > 0 && rd > 0) printf "%.2f", j / rd; else printf "-" }' "$TMP/run$r.md")")
    done
    median=$(printf '%s\n' "${ratios[@]}" | grep -v '^-$' | sort -n |
      awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
                                else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    row+=" $(IFS=/; echo "${ratios[*]}" | sed 's|/| / |g') -> **$median** |"
  done
  echo "$row"
done
