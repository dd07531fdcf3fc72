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
[ -d "$build" ] || build=$root/$build
build=$(cd "$build" && pwd)
rate=${RATE:-50000}
duration=${DURATION:-60}
nfiles=${NFILES:-4}
erate=${ERROR_RATE:-0.3}

tmp=$(mktemp -d /tmp/ew-outage.XXXXXX)
sock=$tmp/redis.sock
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
	[ -f "$tmp/redis.pid" ] && kill -9 "$(cat "$tmp/redis.pid")" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
wait_for() {
	local tries=$1 interval=$2 i
	shift 2
	for ((i = 0; i < tries; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep "$interval"
	done
	return 1
}
start_redis() {
	rm -f "$sock"
	redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
	    --save '' --appendonly no --dir "$tmp" --daemonize yes \
	    --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
	wait_for 100 0.05 redis-cli -s "$sock" ping
}
mem() {
	awk '/^VmRSS|^VmHWM/ { printf "%s %d KiB  ", $1, $2 }' /proc/$DPID/status
}

mkdir -p "$tmp/logs"
cat > "$tmp/errwatch.yaml" <<YAML
host: bench
table: $root/data/error-codes.tsv
redis:
  url: unix://$sock
inputs:
  - name: bench
    paths: ["$tmp/logs/*.log"]
    start_at: beginning
YAML
"$build/ew-write" -n "$nfiles" -r 0 "$tmp/logs" > /dev/null
start_redis
"$build/errwatchd" -c "$tmp/errwatch.yaml" 2> "$tmp/daemon.log" &
DPID=$!
wait_for 100 0.05 grep -q "stored offsets loaded" "$tmp/daemon.log"
echo "before the outage: $(mem)"
redis-cli -s "$sock" shutdown nosave > /dev/null 2>&1 || true
wait_for 100 0.05 bash -c "! [ -S '$sock' ]"
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
	if ! wait_for 300 0.1 bash -c "[ \"\$(redis-cli -s '$sock' HGET errwatch:count:total $cls)\" = $n ]"; then
		echo "FAIL: $cls = $(redis-cli -s "$sock" HGET errwatch:count:total "$cls"), want $n"
		ok=0
	fi
done < <(grep '^class ' "$tmp/truth")
echo "after Redis came back: $(mem)"
grep '^class ' "$tmp/truth" | tr '\n' ' '; echo
[ $ok = 1 ] && echo "outage: counts exact" || exit 1
