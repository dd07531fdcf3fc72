# The real errwatchd speaking systemd's notify protocol (SPEC §10) to a
# datagram listener standing in for systemd: NOTIFY_SOCKET in the temp dir,
# WATCHDOG_USEC=400000 (a ping every 200 ms).
#   1. start, SIGHUP with a good config, SIGTERM: READY=1, STATUS=...,
#      WATCHDOG=1 repeatedly, RELOADING=1 + MONOTONIC_USEC, READY=1,
#      STOPPING=1, in this order, and nothing after STOPPING but pings.
#   2. SIGHUP with a broken config: RELOADING=1, then READY=1 and a STATUS=
#      saying the new config was rejected; the old config keeps counting.
. "$(dirname "$0")/lib.sh"

WATCHDOG_USEC=400000
PING_MS=$((WATCHDOG_USEC / 2000))
LPID=""

# lib.sh's cleanup keeps the exit status it was called with; the listener
# goes first.
trap 'st=$?; [ -n "$LPID" ] && kill "$LPID" 2>/dev/null; (exit $st); cleanup' EXIT

# The listener: one line per datagram, "<CLOCK_MONOTONIC µs> <message>",
# the message's newlines written as '|'. It exits by itself after 120 s.
cat > "$T/listen.py" <<'PY'
import os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
end = time.monotonic() + 120
with open(out, "a", buffering=1) as f:
    print("listening", file=f)
    while time.monotonic() < end:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        us = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        msg = data.decode("utf-8", "replace").replace("\n", "|")
        print(us, msg, file=f)
PY

# listen NAME: a fresh listener on $T/NAME.sock writing $T/NAME.msgs.
listen() {
	[ -z "$LPID" ] || { kill "$LPID"; wait "$LPID" 2>/dev/null || true; }
	rm -f "$T/$1.sock" "$T/$1.msgs"
	python3 "$T/listen.py" "$T/$1.sock" "$T/$1.msgs" &
	LPID=$!
	wait_for 100 0.05 grep -q '^listening$' "$T/$1.msgs" ||
		fail "notify listener did not start"
	MSGS=$T/$1.msgs
	export NOTIFY_SOCKET=$T/$1.sock WATCHDOG_USEC
}

# msgs: the received messages, without the time stamps.
msgs() {
	sed -n '2,$s/^[0-9]* //p' "$MSGS"
}

# events: the messages that are not watchdog pings.
events() {
	msgs | grep -vx 'WATCHDOG=1' || true
}

# has_msg GREP-ARGS...: some message matches. (No grep -q in pipelines:
# with pipefail, a writer cut short by SIGPIPE would fail them.)
has_msg() {
	msgs | grep "$@" >/dev/null
}

# nmsg_ge N GREP-ARGS...: at least N messages match.
nmsg_ge() {
	local n=$1
	shift
	[ "$(msgs | grep -c "$@" || true)" -ge "$n" ]
}

# pings_after_ge PATTERN N: at least N pings came after the last message
# matching PATTERN.
pings_after_ge() {
	[ "$(msgs | awk -v p="$1" '$0 ~ p { n = 0; next }
	    $0 == "WATCHDOG=1" { n++ } END { print n + 0 }')" -ge "$2" ]
}

# check_pings: pings arrive about every PING_MS ms: no gap under half of
# it, and the median gap within 25% of it.
check_pings() {
	sed -n '2,$p' "$MSGS" | awk -v want="$PING_MS" '
	    $2 == "WATCHDOG=1" { if (last) g[n++] = ($1 - last) / 1000; last = $1 }
	    END {
		if (n < 3) { print "only " n + 1 " pings"; exit 1 }
		for (i = 0; i < n; i++) {
			if (g[i] < want / 2) { print "ping gap " g[i] " ms"; exit 1 }
			for (j = i + 1; j < n; j++)
				if (g[j] < g[i]) { t = g[i]; g[i] = g[j]; g[j] = t }
		}
		m = g[int(n / 2)]
		if (m < want * 0.75 || m > want * 1.25) {
			print "median ping gap " m " ms, want about " want; exit 1
		}
		print "pings: " n + 1 ", median gap " m " ms"
	    }' || fail "watchdog pings"
}

# check_monotonic: MONOTONIC_USEC is CLOCK_MONOTONIC when the reload
# began: not after its arrival, and at most 2 s before it.
check_monotonic() {
	sed -n '2,$p' "$MSGS" | awk '
	    $2 ~ /^RELOADING=1\|MONOTONIC_USEC=[0-9]+$/ {
		split($2, a, "="); v = a[3]; n++
		if (v > $1 || $1 - v > 2000000) {
			print "MONOTONIC_USEC=" v " received at " $1; exit 1
		}
	    }
	    END { if (n == 0) { print "no RELOADING=1|MONOTONIC_USEC=N"; exit 1 } }' ||
		fail "RELOADING=1 without a good MONOTONIC_USEC"
}

show_msgs() {
	echo "--- notify messages ($MSGS) ---"
	sed -n '2,$p' "$MSGS" | uniq -c -f1 | head -n 60
}

start_redis
write_config
for i in $(seq 1 20); do line 461 Punishment "p$i"; done > "$LOGS/a.log"

# --- 1. start, good reload, stop ----------------------------------------
listen run1
start_daemon
expect_count Punishment 20
wait_for 100 0.1 has_msg -x 'READY=1' || { show_msgs; fail "no READY=1"; }
wait_for 100 0.1 has_msg '^STATUS=.' || { show_msgs; fail "no STATUS="; }
wait_for 100 0.1 pings_after_ge '^READY=1$' 3 ||
	{ show_msgs; fail "fewer than 3 WATCHDOG=1 after READY=1"; }

kill -HUP "$DPID"
wait_for 100 0.1 grep -q "reload: .* in force" "$T/daemon.log" ||
	fail "reload not in force"
wait_for 100 0.1 nmsg_ge 2 -x 'READY=1' ||
	{ show_msgs; fail "no READY=1 after the reload"; }
wait_for 100 0.1 pings_after_ge '^READY=1$' 2 ||
	{ show_msgs; fail "no WATCHDOG=1 after the reload"; }
stop_daemon
sleep 0.3	# let the last datagrams land (the daemon is gone: no race)

got=$(events | grep -v '^STATUS=' | sed 's/MONOTONIC_USEC=[0-9]*$/MONOTONIC_USEC=N/')
want=$(printf '%s\n' READY=1 'RELOADING=1|MONOTONIC_USEC=N' READY=1 STOPPING=1)
[ "$got" = "$want" ] || { show_msgs; fail "messages out of order:
$got
want:
$want"; }
# The first message is READY=1 (pings may come before it, statuses not),
# a STATUS= comes between it and the reload, and nothing but pings and
# statuses after STOPPING=1.
[ "$(events | head -n 1)" = READY=1 ] || { show_msgs; fail "first message not READY=1"; }
events | sed -n '2,/^RELOADING=1/p' | grep '^STATUS=.' >/dev/null ||
	{ show_msgs; fail "no STATUS= between READY=1 and RELOADING=1"; }
! events | grep -i '^STATUS=.*reject' >/dev/null ||
	{ show_msgs; fail "a good config reported as rejected"; }
check_monotonic
check_pings
nmsg_ge 5 -x 'WATCHDOG=1' || { show_msgs; fail "too few pings"; }
echo "case 1: $(msgs | wc -l) messages in order"

# --- 2. a broken config on SIGHUP ---------------------------------------
listen run2
start_daemon
wait_for 100 0.1 has_msg -x 'READY=1' || { show_msgs; fail "no READY=1"; }
cp "$CFG" "$T/good.yaml"
printf 'inputs:\n  - paths: [unclosed\n' > "$CFG"
kill -HUP "$DPID"
wait_for 100 0.1 grep -q "keeping the running config" "$T/daemon.log" ||
	fail "bad config not reported in the log"
wait_for 100 0.1 has_msg -i '^STATUS=.*reject' ||
	{ show_msgs; fail "no STATUS= saying the config was rejected"; }
wait_for 100 0.1 nmsg_ge 2 -x 'READY=1' ||
	{ show_msgs; fail "no READY=1 after the rejected reload"; }
# The old config keeps running: still counting, still pinging.
for i in $(seq 1 7); do line 473 ServiceUnavailable "s$i"; done >> "$LOGS/a.log"
expect_count ServiceUnavailable 7
wait_for 100 0.1 pings_after_ge '^READY=1$' 2 ||
	{ show_msgs; fail "no WATCHDOG=1 after the rejected reload"; }
kill -0 "$DPID" || fail "errwatchd died on a bad config"
cp "$T/good.yaml" "$CFG"
stop_daemon
sleep 0.3

got=$(events | grep -v '^STATUS=' | sed 's/MONOTONIC_USEC=[0-9]*$/MONOTONIC_USEC=N/')
[ "$got" = "$want" ] || { show_msgs; fail "messages out of order:
$got
want:
$want"; }
# The rejection is told after RELOADING=1 and before STOPPING=1.
events | sed -n '/^RELOADING=1/,/^STOPPING=1/p' |
    grep -i '^STATUS=.*reject' >/dev/null ||
	{ show_msgs; fail "rejection STATUS= not within the reload"; }
check_monotonic
echo "case 2: rejected: $(events | grep -i -m1 '^STATUS=.*reject')"
echo "service_notify: all passed"
