#!/usr/bin/env bash
# bench/once.sh [BUILD_DIR] [SIZE_MiB]: --once into a local Redis against
# --scan on the same warm corpus, in the same run (SPEC §12: within 10%).
#
# A logfmt corpus of SIZE_MiB (default 1024) from bench/ew-gen; a private
# redis-server on a unix socket in a temp dir; best of RUNS (default 3) of
#   errwatchd --scan --json -c CFG FILE
#   errwatchd --once -c CFG          (Redis flushed before each run)
# --once's counts in Redis must equal ew-gen's truth exactly.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
size_mib=${2:-1024}
runs=${RUNS:-3}
tmp=$(mktemp -d /var/tmp/ew-once.XXXXXX)
sock=$tmp/redis.sock
cleanup() {
	redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/logs"
"$build/ew-gen" --format logfmt --size $((size_mib << 20)) --seed 1 \
    --table "$root/data/error-codes.tsv" --truth "$tmp/truth.json" \
    -o "$tmp/logs/corpus.log"
cat "$tmp/logs/corpus.log" > /dev/null
redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no \
    --dir "$tmp" --daemonize yes --logfile "$tmp/redis.log"
for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
pattern=$(sed -n "s/^ *- '\(.*\)'$/\1/p" "$here/logfmt.yaml" | head -1)
cat > "$tmp/cfg.yaml" <<YAML
host: bench
table: $root/data/error-codes.tsv
redis: {url: "unix://$sock"}
inputs:
  - name: bench
    paths: ["$tmp/logs/*.log"]
    start_at: beginning
    patterns: ['$pattern']
YAML

now() { date +%s.%N; }
best_scan=999999 best_once=999999
for ((r = 0; r < runs; r++)); do
	t0=$(now)
	"$build/errwatchd" --scan --json -c "$tmp/cfg.yaml" "$tmp/logs/corpus.log" > "$tmp/scan.json"
	t=$(echo "$(now) - $t0" | bc)
	best_scan=$(echo "if ($t < $best_scan) $t else $best_scan" | bc)
	redis-cli -s "$sock" flushall >/dev/null
	t0=$(now)
	"$build/errwatchd" --once -q -c "$tmp/cfg.yaml" 2>>"$tmp/once.log"
	t=$(echo "$(now) - $t0" | bc)
	best_once=$(echo "if ($t < $best_once) $t else $best_once" | bc)
done
python3 - "$tmp/truth.json" "$sock" <<'PY'
import json, subprocess, sys
truth = json.load(open(sys.argv[1]))
out = subprocess.run(["redis-cli", "-s", sys.argv[2], "HGETALL",
                      "errwatch:count:total"], capture_output=True,
                     text=True).stdout.split("\n")
got = {k: int(v) for k, v in zip(out[0::2], out[1::2]) if k}
if got != truth["counts"]:
    sys.exit("once.sh: counts differ: %r != %r" % (got, truth["counts"]))
print("once.sh: --once counts in Redis exact (%d matched)" % sum(got.values()))
PY
ratio=$(echo "scale=3; $best_scan / $best_once" | bc)
mb=$((size_mib * 1048576 / 1000000))
printf '%-8s %8s %10s %10s %8s\n' corpus MB "scan s" "once s" "once/scan"
printf '%-8s %8d %10.3f %10.3f %8.2f  (target >= 0.90)\n' logfmt "$mb" \
    "$best_scan" "$best_once" "$ratio"
