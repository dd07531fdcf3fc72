#!/usr/bin/env bash
# bench/memory.sh [BUILD_DIR]: errwatchd's resident memory (SPEC §12).
#
# For each count in FILES (default "1000 10000"): a fresh log directory
# with that many files of LINES lines each (bench/ew-write), a private
# redis-server on a unix socket, and errwatchd following them all from
# their first byte (start_at: beginning, max_open_files above the count,
# every other setting at its default). Once Redis holds every line (the
# exact count is checked against the writer's truth) and the daemon
# reports every file open, it waits SETTLE s (a few rescans and flushes)
# and reads VmHWM (the peak), VmRSS, RssAnon and RssFile from
# /proc/PID/status. Target: <= 8 MiB with 1,000 files, judged on VmHWM.
# With mtail installed (EW_BENCH_MTAIL=0 skips it) mtail follows the same
# files (HTTP on a unix socket) and its memory is printed for scale.
#
# Environment: FILES="1000 10000", LINES=3, SETTLE=5, EW_BENCH_MTAIL.
# Raises ulimit -n (soft, up to the hard limit) as the counts need.
# Exit 0 when the 1,000-file row meets the target with exact counts.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${1:-build}
counts_list=${FILES:-1000 10000}
lines_each=${LINES:-3}
settle=${SETTLE:-5}

name=memory.sh
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

writer=$(bench_tool ew-write)
have_mtail=0
if [ "${EW_BENCH_MTAIL:-1}" != 0 ] && command -v mtail >/dev/null 2>&1; then
	have_mtail=1
fi
pattern=$(sed -n "s/^ *- '\\(.*\\)' *\$/\\1/p" "$here/logfmt.yaml" | head -n 1)

max=0
for n in $counts_list; do
	[ "$n" -gt "$max" ] && max=$n
done
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((max + 256)) ]; then
	hard=$(ulimit -Hn)
	if [ "$hard" = unlimited ] || [ "$hard" -ge $((max + 256)) ]; then
		ulimit -n $((max + 256))
	else
		ulimit -n "$hard"
		note "memory.sh: ulimit -n is $hard, below $((max + 256))"
	fi
fi

SOCK=""
rc() { redis-cli -s "$SOCK" --raw "$@"; }

# shellcheck disable=SC2317  # called through wait_for
sum_is() {		# N: count:total sums to N
	[ "$(rc HVALS errwatch:count:total | awk '{ s += $0 } END { print s + 0 }')" = "$1" ]
}
# shellcheck disable=SC2317  # called through wait_for
files_is() {		# N: the daemon reports N open files
	[ "$(rc HGET errwatch:stats:bench files)" = "$1" ]
}

# "VmHWM VmRSS RssAnon RssFile" in KiB
mem_of() {
	awk '$1 ~ /^(VmHWM|VmRSS|RssAnon|RssFile):$/ { v[$1] = $2 }
	    END { print v["VmHWM:"], v["VmRSS:"], v["RssAnon:"], v["RssFile:"] }' \
	    "/proc/$1/status"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }

rows=()
status=0
for n in $counts_list; do
	dir=$tmp/run$n
	mkdir -p "$dir/logs"
	note "memory.sh: $n files of $lines_each lines"
	"$writer" -n "$n" -r $((n * lines_each)) -d 1 "$dir/logs" >"$dir/truth"
	want=$(awk '$1 == "matched" { print $2 }' "$dir/truth")

	SOCK=$dir/redis.sock
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 \
	    --save '' --appendonly no --dir "$dir" --daemonize yes \
	    --pidfile "$RPID_FILE" --logfile "$dir/redis.log" >/dev/null
	wait_for 100 0.05 redis-cli -s "$SOCK" ping ||
		{ note "memory.sh: redis-server did not start"; exit 1; }
	cat >"$dir/errwatch.yaml" <<YAML
host: bench
table: $root/data/error-codes.tsv
max_open_files: $((n + 64))
redis:
  url: unix://$SOCK
inputs:
  - name: bench
    paths: ["$dir/logs/*.log"]
    start_at: beginning
    patterns:
      - '$pattern'
YAML
	"$ewd" -c "$dir/errwatch.yaml" >"$dir/daemon.log" 2>&1 &
	FPID=$!
	counts=exact
	if ! wait_for 600 0.1 sum_is "$want"; then
		counts=WRONG
		note "memory.sh: count:total sums to $(rc HVALS errwatch:count:total |
		    awk '{ s += $0 } END { print s + 0 }'), the writer wrote $want"
	fi
	wait_for 100 0.1 files_is "$n" ||
		note "memory.sh: errwatchd reports $(rc HGET errwatch:stats:bench files) files open, not $n"
	open=$(rc HGET errwatch:stats:bench files)
	sleep "$settle"
	read -r hwm rss anon file < <(mem_of "$FPID")
	fds=$(find "/proc/$FPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	kill -TERM "$FPID"
	wait "$FPID" 2>/dev/null || true
	FPID=""
	redis-cli -s "$SOCK" shutdown nosave >/dev/null 2>&1 || true
	wait_for 100 0.05 bash -c "! [ -e '$RPID_FILE' ]" || true
	rm -f "$RPID_FILE"

	verdict=-
	if [ "$n" = 1000 ]; then
		verdict=PASS
		if [ "$counts" != exact ] || [ "$hwm" -gt 8192 ]; then
			verdict=FAIL
			status=1
		fi
	fi
	rows+=("$(printf '%-9s %6s %6s %6s %8s %8s %8s %8s %6s  %s' errwatchd \
	    "$n" "$open" "$fds" "$(mib "$hwm")" "$(mib "$rss")" "$(mib "$anon")" \
	    "$(mib "$file")" "$counts" "$verdict")")

	if [ "$have_mtail" = 1 ]; then
		note "memory.sh: mtail over the same $n files"
		mkdir -p "$dir/progs"
		rgpat=$(printf '%s' "$pattern" | sed 's/(?<\([A-Za-z_]\)/(?P<\1/g; s,/,\\/,g')
		# shellcheck disable=SC2016  # $code is mtail's
		printf 'counter ew_lines by code\n/%s/ {\n  ew_lines[$code]++\n}\n' \
		    "$rgpat" >"$dir/progs/ew.mtail"
		mtail --progs "$dir/progs" --logs "$dir/logs/*.log" \
		    --unix_socket "$dir/mtail.sock" --logtostderr \
		    >"$dir/mtail.log" 2>&1 &
		FPID=$!
		wait_for 200 0.05 curl -sf --unix-socket "$dir/mtail.sock" \
		    http://localhost/metrics || note "memory.sh: mtail did not start"
		sleep $((settle + 5))
		read -r hwm rss anon file < <(mem_of "$FPID")
		fds=$(find "/proc/$FPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
		kill -TERM "$FPID"
		wait "$FPID" 2>/dev/null || true
		FPID=""
		rows+=("$(printf '%-9s %6s %6s %6s %8s %8s %8s %8s %6s  %s' mtail \
		    "$n" - "$fds" "$(mib "$hwm")" "$(mib "$rss")" "$(mib "$anon")" \
		    "$(mib "$file")" - -)")
	fi
	rm -rf "$dir"
done

echo
echo "errwatch memory benchmark: following N files of $lines_each lines, default settings"
echo "($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(date -u +%Y-%m-%dT%H:%MZ))"
echo "target: VmHWM <= 8 MiB with 1,000 files (SPEC §12); MiB = 2^20 bytes"
printf '%-9s %6s %6s %6s %8s %8s %8s %8s %6s  %s\n' follower files open fds \
    VmHWM VmRSS RssAnon RssFile counts verdict
for r in "${rows[@]}"; do
	echo "$r"
done
exit "$status"
