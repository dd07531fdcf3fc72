#!/usr/bin/env bash
# bench/outage.sh [BUILD_DIR]: errwatchd's memory through a Redis outage
# (SPEC §7, §8, §11: pending counts stay in memory, bounded, never per
# line). Not part of make test.
#
# A private redis-server on a unix socket; errwatchd loads its offsets,
# then Redis is stopped and bench/ew-write appends RATE lines/s (default
# 50,000) to NFILES files for DURATION s (default 60) while the daemon
# reads on. VmRSS and VmHWM are sampled every 5 s and at the end of the
# outage; then Redis comes back and every class count must equal the
# writer's exact truth. Exit 0 when they do.
#
# Environment: RATE=50000 DURATION=60 NFILES=4 ERROR_RATE=0.3
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${1:-build}
rate=${RATE:-50000}
duration=${DURATION:-60}
nfiles=${NFILES:-4}
erate=${ERROR_RATE:-0.3}

name=outage.sh
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
mem() {
	awk '/^VmRSS|^VmHWM/ { printf "%s %d KiB  ", $1, $2 }' /proc/$FPID/status
}

mkdir -p "$tmp/logs"
cat > "$tmp/errwatch.yaml" <<YAML
host: bench
table: $root/data/error-codes.tsv
redis:
  url: unix://$SOCK
inputs:
  - name: bench
    paths: ["$tmp/logs/*.log"]
    start_at: beginning
YAML
"$build/ew-write" -n "$nfiles" -r 0 "$tmp/logs" > /dev/null
start_redis
"$build/errwatchd" -c "$tmp/errwatch.yaml" 2> "$tmp/daemon.log" &
FPID=$!
wait_for 100 0.05 grep -q "stored offsets loaded" "$tmp/daemon.log"
echo "before the outage: $(mem)"
redis-cli -s "$SOCK" shutdown nosave > /dev/null 2>&1 || true
wait_for 100 0.05 bash -c "! [ -S '$SOCK' ]"
echo "redis stopped; writing $rate lines/s to $nfiles files for $duration s"
"$build/ew-write" -n "$nfiles" -r "$rate" -d "$duration" -e "$erate" \
    "$tmp/logs" > "$tmp/truth" &
WPID=$!
t=0
while kill -0 "$WPID" 2>/dev/null; do
	sleep 5
	t=$((t + 5))
	echo "  t=${t}s: $(mem)"
done
wait "$WPID"
sleep 2		# the last reads (a flush interval or so)
echo "end of the outage: $(mem)  ($(awk '/^lines/ {print $2}' "$tmp/truth") lines written)"
start_redis
ok=1
while read -r _ cls n; do
	if ! wait_for 300 0.1 bash -c "[ \"\$(redis-cli -s '$SOCK' HGET errwatch:count:total $cls)\" = $n ]"; then
		echo "FAIL: $cls = $(redis-cli -s "$SOCK" HGET errwatch:count:total "$cls"), want $n"
		ok=0
	fi
done < <(grep '^class ' "$tmp/truth")
echo "after Redis came back: $(mem)"
grep '^class ' "$tmp/truth" | tr '\n' ' '; echo
[ $ok = 1 ] && echo "outage: counts exact" || exit 1
