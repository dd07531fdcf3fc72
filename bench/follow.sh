#!/usr/bin/env bash
# bench/follow.sh [BUILD_DIR]: the follow benchmark (SPEC §12).
#
# errwatchd follows files that bench/ew-write appends to, one write() per
# line, with the default intervals (flush 500ms, rescan 1 s), against a
# private redis-server on a unix socket. Three loads, each with a fresh
# Redis, a fresh log directory and a fresh follower:
#
#   load    100 files, 100,000 lines/s in total, DURATION s  (<= 1% of a core)
#   load    100 files,  10,000 lines/s in total, DURATION s  (<= 0.5%)
#   idle  1,000 files, 5 lines each written first, IDLE_DURATION s (<= 0.5%)
#
# The follower's CPU is utime+stime from /proc/PID/stat (all threads), as
# a delta from just before the writer starts to the moment the follower
# shows every line (bounded wait), over that wall time: % of one core.
# The counts are checked at the end of each run: Redis's count:total, class
# by class, against the writer's truth. Then the same loads through mtail
# (apt-get installs it if missing), tailing the same kind of files with a
# program that counts the same pattern, with its default intervals; its
# HTTP listener is a unix socket in the temp dir. The writer's own CPU is
# printed beside each follower (an inotify IN_MODIFY watch slows writers).
#
# Environment: DURATION=60 (s, each load), IDLE_DURATION=$DURATION,
# SEED=1, EW_BENCH_MTAIL=0 skips mtail, PERF=1 adds `perf stat -e
# task-clock` of errwatchd to each errwatchd run (printed to stderr).
# Exit 0 when every errwatchd row meets its target with exact counts.
# Nothing leaves the machine: Redis and mtail listen on unix sockets only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${1:-build}
duration=${DURATION:-60}
idle_duration=${IDLE_DURATION:-$duration}
seed=${SEED:-1}

case "$duration$idle_duration" in
''|*[!0-9]*) echo "follow.sh: DURATION and IDLE_DURATION are whole seconds" >&2
	exit 64 ;;
esac
name=follow.sh
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

writer=$(bench_tool ew-write)

have_mtail=0
if [ "${EW_BENCH_MTAIL:-1}" != 0 ]; then
	if ! command -v mtail >/dev/null 2>&1; then
		note "follow.sh: installing mtail"
		sudo=
		[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q mtail \
		    >&2 || { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >&2 &&
		    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q mtail >&2; } ||
		    note "follow.sh: could not install mtail: its rows are skipped"
	fi
	command -v mtail >/dev/null 2>&1 && have_mtail=1
fi

pattern=$(sed -n "s/^ *- '\\(.*\\)' *\$/\\1/p" "$here/logfmt.yaml" | head -n 1)
clk=$(getconf CLK_TCK)
now_ns() { date +%s%N; }

# utime+stime of every thread, dead ones included, in clock ticks.
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# --- Redis and errwatchd ----------------------------------------------------

SOCK=""
start_redis() {		# DIR
	SOCK=$1/redis.sock
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 \
	    --save '' --appendonly no --dir "$1" --daemonize yes \
	    --pidfile "$RPID_FILE" --logfile "$1/redis.log" >/dev/null
	wait_for 100 0.05 redis-cli -s "$SOCK" ping ||
		{ note "follow.sh: redis-server did not start"; exit 1; }
}

stop_redis() {
	redis-cli -s "$SOCK" shutdown nosave >/dev/null 2>&1 || true
	wait_for 100 0.05 bash -c "! [ -e '$RPID_FILE' ]" || true
	rm -f "$RPID_FILE"
}

start_errwatchd() {	# DIR NFILES
	cat >"$1/errwatch.yaml" <<YAML
host: bench
table: $root/data/error-codes.tsv
max_open_files: $(($2 + 64))
redis:
  url: unix://$SOCK
inputs:
  - name: bench
    paths: ["$1/logs/*.log"]
    start_at: beginning
    patterns:
      - '$pattern'
YAML
	"$ewd" -c "$1/errwatch.yaml" >"$1/daemon.log" 2>&1 &
	FPID=$!
	wait_for 200 0.05 grep -q "stored offsets loaded" "$1/daemon.log" ||
		{ note "follow.sh: errwatchd did not start"; tail "$1/daemon.log" >&2; exit 1; }
}

start_mtail() {		# DIR
	local rgpat
	rgpat=$(printf '%s' "$pattern" | sed 's/(?<\([A-Za-z_]\)/(?P<\1/g; s,/,\\/,g')
	mkdir -p "$1/progs"
	# shellcheck disable=SC2016  # $code is mtail's
	printf 'counter ew_lines by code\n/%s/ {\n  ew_lines[$code]++\n}\n' \
	    "$rgpat" >"$1/progs/ew.mtail"
	mtail --progs "$1/progs" --logs "$1/logs/*.log" \
	    --unix_socket "$1/mtail.sock" --logtostderr >"$1/mtail.log" 2>&1 &
	FPID=$!
	wait_for 200 0.05 curl -sf --unix-socket "$1/mtail.sock" \
	    http://localhost/metrics ||
		{ note "follow.sh: mtail did not start"; tail "$1/mtail.log" >&2; exit 1; }
}

stop_follower() {
	[ -n "$FPID" ] || return 0
	kill -TERM "$FPID" 2>/dev/null || true
	wait "$FPID" 2>/dev/null || true
	FPID=""
}

# What the follower has counted: "matched N" then "class NAME N" lines.
counted() {		# FOLLOWER DIR
	case $1 in
	errwatchd)
		redis-cli -s "$SOCK" --raw HGETALL errwatch:count:total |
		    awk 'NR % 2 { k = $0; next } { print "class", k, $0; s += $0 }
			END { print "matched", s + 0 }'
		;;
	mtail)
		curl -sf --unix-socket "$2/mtail.sock" http://localhost/metrics |
		    awk '/^ew_lines\{/ { s += $NF } END { print "matched", s + 0 }'
		;;
	esac
}

# shellcheck disable=SC2317  # called through wait_for
matched_is() {		# FOLLOWER DIR N
	[ "$(counted "$1" "$2" | awk '$1 == "matched" { print $2 }')" = "$3" ]
}

# exact or WRONG: per class for errwatchd, the total for mtail.
check_counts() {	# FOLLOWER DIR TRUTH
	local got want
	got=$(counted "$1" "$2" | sort)
	if [ "$1" = errwatchd ]; then
		want=$(awk '$1 == "class" || $1 == "matched"' "$3" | sort)
	else
		want=$(awk '$1 == "matched"' "$3")
	fi
	if [ "$got" = "$want" ]; then
		echo exact
	else
		note "follow.sh: $1 counted:"
		note "$got"
		note "follow.sh: the writer wrote:"
		note "$want"
		echo WRONG
	fi
}

# --- one run ----------------------------------------------------------------

rows=()
status=0
run_n=0

# run FOLLOWER KIND NFILES RATE SECONDS TARGET_PCT
run() {
	local fol=$1 kind=$2 nfiles=$3 rate=$4 secs=$5 target=$6
	local dir want c0 c1 t0 t1 pct wpct wcpu counts verdict perfout
	run_n=$((run_n + 1))
	dir=$tmp/run$run_n
	mkdir -p "$dir/logs"
	"$writer" -n "$nfiles" -r 0 "$dir/logs" >/dev/null	# create only
	[ "$fol" = errwatchd ] && start_redis "$dir"
	note "follow.sh: $fol, $kind, $nfiles files, $rate lines/s, ${secs} s"
	if [ "$fol" = errwatchd ]; then
		start_errwatchd "$dir" "$nfiles"
	else
		start_mtail "$dir"
	fi
	sleep 2		# every file found and opened

	if [ "$kind" = idle ]; then
		# 5 lines in each file, then nothing
		"$writer" -n "$nfiles" -r $((nfiles * 5)) -d 1 -s "$seed" \
		    "$dir/logs" >"$dir/truth"
		want=$(awk '$1 == "matched" { print $2 }' "$dir/truth")
		wait_for 300 0.1 matched_is "$fol" "$dir" "$want" || true
		sleep 2
		c0=$(cpu_ticks "$FPID")
		t0=$(now_ns)
		sleep "$secs"
		c1=$(cpu_ticks "$FPID")
		t1=$(now_ns)
		wcpu=-
		wpct=-
	else
		perfout=
		if [ "${PERF:-0}" = 1 ] && [ "$fol" = errwatchd ]; then
			perfout=$dir/perf.txt
			perf stat -e task-clock -p "$FPID" -o "$perfout" &
			PERFPID=$!
		fi
		c0=$(cpu_ticks "$FPID")
		t0=$(now_ns)
		"$writer" -n "$nfiles" -r "$rate" -d "$secs" -s "$seed" \
		    "$dir/logs" >"$dir/truth"
		want=$(awk '$1 == "matched" { print $2 }' "$dir/truth")
		wait_for 300 0.1 matched_is "$fol" "$dir" "$want" || true
		c1=$(cpu_ticks "$FPID")
		t1=$(now_ns)
		if [ -n "$PERFPID" ]; then
			kill -INT "$PERFPID" 2>/dev/null || true
			wait "$PERFPID" 2>/dev/null || true
			PERFPID=""
			note "follow.sh: perf stat of errwatchd:"
			grep -E 'task-clock|elapsed' "$perfout" >&2 || true
		fi
		wcpu=$(awk '$1 == "cpu_s" { print $2 }' "$dir/truth")
		wpct=$(awk -v c="$wcpu" -v w="$(awk '$1 == "wall_s" { print $2 }' "$dir/truth")" \
		    'BEGIN { printf "%.2f", 100 * c / w }')
	fi
	pct=$(awk -v c=$((c1 - c0)) -v hz="$clk" -v ns=$((t1 - t0)) \
	    'BEGIN { printf "%.3f", 100 * c / hz / (ns / 1e9) }')
	counts=$(check_counts "$fol" "$dir" "$dir/truth")
	stop_follower
	[ "$fol" = errwatchd ] && stop_redis
	verdict=-
	[ "$fol" = errwatchd ] || target=-
	if [ "$fol" = errwatchd ]; then
		verdict=PASS
		if [ "$counts" != exact ] ||
		    ! awk -v p="$pct" -v t="$target" 'BEGIN { exit !(p <= t) }'; then
			verdict=FAIL
			status=1
		fi
	fi
	rows+=("$(printf '%-9s %-5s %6s %8s %5s %9s %7s %8s %8s %6s  %s' \
	    "$fol" "$kind" "$nfiles" "$rate" "$secs" "$pct" "$target" \
	    "$(awk -v c=$((c1 - c0)) -v hz="$clk" 'BEGIN { printf "%.2f", c / hz }')" \
	    "$wpct" "$counts" "$verdict")")
	rm -rf "$dir"
}

followers=errwatchd
[ "$have_mtail" = 1 ] && followers+=" mtail"
for fol in $followers; do
	run "$fol" load 100 100000 "$duration" 1.0
	run "$fol" load 100 10000 "$duration" 0.5
	run "$fol" idle 1000 0 "$idle_duration" 0.5
done

echo
echo "errwatch follow benchmark: one write() per line, default intervals"
echo "CPU = utime+stime from /proc/PID/stat over the run, % of one core"
echo "($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(date -u +%Y-%m-%dT%H:%MZ))"
printf '%-9s %-5s %6s %8s %5s %9s %7s %8s %8s %6s  %s\n' follower kind files \
    lines/s secs "cpu %" "target" "cpu s" "writer %" counts verdict
for r in "${rows[@]}"; do
	echo "$r"
done
exit "$status"
