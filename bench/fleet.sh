#!/usr/bin/env bash
# bench/fleet.sh [BUILD_DIR]: Redis's own CPU time per errwatchd host
# (SPEC §15). Not part of make test.
#
# bench/ew-fleet runs N simulated hosts, each with the real session, agg,
# keys and sink (its own connection, its own offset record, 20 matched
# lines/s over 5 classes, or idle), against a private redis-server on a
# unix socket, and reads used_cpu_sys + used_cpu_user from INFO cpu
# around a measured window. The same driver is also built against the
# ewcore of commit $BEFORE (default ad59c18, the flush before SPEC §15's
# cuts) and run with the same fleet, one after the other, so "before" and
# "after" share the machine's mood. Redis's cost per command falls as its
# load rises (more replies per wake-up), so each row runs enough hosts
# to keep Redis busy: FLUSHES flushes a second in all (default 4000).
#
# Prints, per flush interval (500 ms, the default, 1 s, 2 s) and for an
# idle fleet: Redis CPU microseconds per host-second and the hosts one
# Redis core carries at 50% load, before and after.
#
# Environment: BEFORE=ad59c18 FLUSHES=4000 WARMUP=12 SECONDS_=30
#              INTERVALS="500 1000 2000" IDLE_HOSTS=8000
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${1:-build}
before=${BEFORE:-ad59c18}
flushes=${FLUSHES:-4000}
warmup=${WARMUP:-12}
secs=${SECONDS_:-30}
intervals=${INTERVALS:-500 1000 2000}
idle_hosts=${IDLE_HOSTS:-8000}

name=fleet.sh
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
after_bin=$build/ew-fleet
[ -x "$after_bin" ] || { note "$name: $after_bin not built"; exit 1; }

# One connection per host, on both sides.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 20000 ]; then
	note "$name: ulimit -n $(ulimit -n): fewer hosts than asked may connect"
fi

# The driver against the old ewcore: the commit's tree, its library built
# by its own CMake, ew-fleet.c compiled against its headers.
note "$name: building ew-fleet against $before's ewcore"
mkdir -p "$tmp/before"
git -C "$root" archive "$before" | tar -x -C "$tmp/before"
cmake -S "$tmp/before" -B "$tmp/before/build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$tmp/before/build" --target ewcore -j2 >/dev/null
# shellcheck disable=SC2046  # pkg-config's words are flags
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$tmp/before/include" "$here/ew-fleet.c" \
    "$tmp/before/build/libewcore.a" -o "$tmp/ew-fleet-before" \
    $(pkg-config --libs libuv hiredis libpcre2-8 yaml-0.1 libsystemd \
    libcurl jansson libmicrohttpd) -lm
before_bin=$tmp/ew-fleet-before

start_fleet_redis() {
	rm -f "$SOCK"
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 \
	    --save '' --appendonly no --dir "$tmp" --daemonize yes \
	    --maxclients 20000 --pidfile "$RPID_FILE" \
	    --logfile "$tmp/redis.log" >/dev/null
	wait_for 100 0.05 redis-cli -s "$SOCK" ping ||
		{ note "$name: redis-server did not start"; exit 1; }
}

stop_fleet_redis() {
	redis-cli -s "$SOCK" shutdown nosave >/dev/null 2>&1 || true
	wait_for 100 0.05 bash -c "! [ -S '$SOCK' ]"
}

# run LABEL BIN ARGS...: one fleet against a fresh Redis; prints its line.
run() {
	local label=$1 bin=$2 out
	shift 2
	start_fleet_redis
	out=$("$bin" -s "$SOCK" -w "$warmup" -d "$secs" "$@")
	stop_fleet_redis
	printf '%-7s %s\n' "$label" "$out" | tee -a "$tmp/results" >&2
}

field() {		# field LINE NAME
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"
}

: > "$tmp/results"
rows=""
for f in $intervals; do
	n=$((flushes * f / 1000))
	run before "$before_bin" -a "$n" -f "$f"
	run after "$after_bin" -a "$n" -f "$f"
	rows="$rows active:$f:$n"
done
run before "$before_bin" -a 0 -i "$idle_hosts" -f 500
run after "$after_bin" -a 0 -i "$idle_hosts" -f 500
rows="$rows idle:500:$idle_hosts"

echo
echo "Redis CPU per host (INFO cpu), $secs s windows after $warmup s of warm-up;"
echo "active hosts: 20 matched lines/s over 5 classes, one file each"
printf '%-30s %8s %14s %14s %12s %12s\n' "fleet" "hosts" \
    "us/host-s bef" "us/host-s aft" "hosts/core" "hosts/core"
printf '%-30s %8s %14s %14s %12s %12s\n' "" "" "" "" "50% before" \
    "50% after"
for r in $rows; do
	IFS=: read -r kind f n <<< "$r"
	b=$(grep "^before .*active=$([ "$kind" = idle ] && echo 0 ||
	    echo "$n") .*flush_ms=$f " "$tmp/results" | tail -1)
	a=$(grep "^after .*active=$([ "$kind" = idle ] && echo 0 ||
	    echo "$n") .*flush_ms=$f " "$tmp/results" | tail -1)
	printf '%-30s %8s %14s %14s %12s %12s\n' \
	    "$kind, flush_interval ${f}ms" "$n" \
	    "$(field "$b" us_per_host_s)" "$(field "$a" us_per_host_s)" \
	    "$(field "$b" hosts_per_core_50)" "$(field "$a" hosts_per_core_50)"
done
