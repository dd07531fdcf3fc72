# bench/lib.sh: sourced by follow.sh, memory.sh and latency.sh. Before
# sourcing, set `name` (the script's name, for messages) and `build` (the
# build dir argument). Gives: here, root, build (absolute), ewd (the
# daemon), tmp (a temp dir removed at exit, with the daemon FPID, a perf
# PERFPID and the redis-server of RPID_FILE killed), note, wait_for,
# start_redis, bench_tool.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
if [ ! -d "$build" ] && [ -d "$root/$build" ]; then
	build=$root/$build
fi
build=$(cd "$build" 2>/dev/null && pwd || echo "$build")
ewd=$build/errwatchd
if [ ! -x "$ewd" ]; then
	echo "$name: $ewd not built" >&2
	exit 1
fi

tmp=$(mktemp -d "/tmp/ew-${name%.sh}.XXXXXX")
FPID=""			# the follower
PERFPID=""		# a perf stat beside it (follow.sh)
RPID_FILE=$tmp/redis.pid
SOCK=$tmp/redis.sock
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	if [ -n "$PERFPID" ]; then kill "$PERFPID" 2>/dev/null || true; fi
	if [ -n "$FPID" ]; then kill -9 "$FPID" 2>/dev/null || true; fi
	if [ -f "$RPID_FILE" ]; then
		kill -9 "$(cat "$RPID_FILE")" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note() { printf '%s\n' "$*" >&2; }

wait_for() {		# TRIES INTERVAL CMD...: bounded poll
	local tries=$1 interval=$2 i
	shift 2
	for ((i = 0; i < tries; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep "$interval"
	done
	return 1
}

# A private redis-server on a unix socket in $tmp, never the system one.
start_redis() {
	rm -f "$SOCK"
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 \
	    --save '' --appendonly no --dir "$tmp" --daemonize yes \
	    --pidfile "$RPID_FILE" --logfile "$tmp/redis.log" >/dev/null
	wait_for 100 0.05 redis-cli -s "$SOCK" ping ||
		{ note "$name: redis-server did not start"; exit 1; }
}

# bench_tool NAME: the build's bench/NAME.c program, compiled into $tmp
# when the build has none.
bench_tool() {
	if [ -x "$build/$1" ]; then
		echo "$build/$1"
		return
	fi
	note "$name: $build/$1 missing, compiling bench/$1.c"
	cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	    "$here/$1.c" -o "$tmp/$1" -lm >&2
	echo "$tmp/$1"
}
