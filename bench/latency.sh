#!/usr/bin/env bash
# bench/latency.sh [BUILD_DIR]: line-to-Redis latency (SPEC §12).
#
# errwatchd follows one file with the default settings (flush_interval
# 500ms unless FLUSH says otherwise) against a private redis-server on a
# unix socket. A python3 loop writes LINES single error lines at random
# moments: after each line shows in Redis it sleeps a gap uniform in
# [0.2, 1.8] x DURATION/LINES, so a write lands anywhere in the flush
# cycle (the gaps sum to about DURATION; the run lasts that plus the
# waits, about 110 s by default). After each write it polls HGET
# errwatch:count:total Punishment over one unix-socket connection every
# POLL_MS until the count goes up. Latency = from just before the
# write() to the reply that shows the new count. Prints min, p50, p90,
# p99 and max; target p99 <= flush_interval + 50 ms. The final count must
# equal LINES exactly.
#
# Environment: LINES=200, DURATION=60, FLUSH=500ms, POLL_MS=0.5, SEED=1.
# Exit 0 when p99 meets the target and the count is exact.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${1:-build}
nlines=${LINES:-200}
duration=${DURATION:-60}
flush=${FLUSH:-500ms}
poll_ms=${POLL_MS:-0.5}
seed=${SEED:-1}

case $flush in
*ms) flush_ms=${flush%ms} ;;
*s) flush_ms=$((${flush%s} * 1000)) ;;
*) echo "latency.sh: FLUSH is like 500ms or 1s" >&2; exit 64 ;;
esac
name=latency.sh
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

mkdir -p "$tmp/logs"
: >"$tmp/logs/app.log"
start_redis
pattern=$(sed -n "s/^ *- '\\(.*\\)' *\$/\\1/p" "$here/logfmt.yaml" | head -n 1)
cat >"$tmp/errwatch.yaml" <<YAML
host: bench
table: $root/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: $flush
inputs:
  - name: bench
    paths: ["$tmp/logs/*.log"]
    start_at: beginning
    patterns:
      - '$pattern'
YAML
"$ewd" -c "$tmp/errwatch.yaml" >"$tmp/daemon.log" 2>&1 &
FPID=$!
wait_for 200 0.05 grep -q "stored offsets loaded" "$tmp/daemon.log" ||
	{ note "latency.sh: errwatchd did not start"; tail "$tmp/daemon.log" >&2; exit 1; }
sleep 2
note "latency.sh: $nlines lines over about $duration s, flush_interval $flush"

status=0
python3 - "$SOCK" "$tmp/logs/app.log" "$nlines" "$duration" "$poll_ms" \
    "$seed" "$flush_ms" <<'EOF' || status=$?
import math, os, random, socket, sys, time

sock_path, log, n, duration, poll_ms, seed, flush_ms = sys.argv[1:]
n, duration, poll, flush_ms = int(n), float(duration), float(poll_ms) / 1000, int(flush_ms)
rnd = random.Random(int(seed))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock_path)
buf = b""

def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)

def reply():
    """One bulk-string or nil reply."""
    global buf
    while b"\r\n" not in buf:
        buf += s.recv(4096)
    head, rest = buf.split(b"\r\n", 1)
    if head[:1] == b"-":
        raise SystemExit("redis: " + head.decode())
    if head == b"$-1":
        buf = rest
        return None
    size = int(head[1:])
    while len(rest) < size + 2:
        rest += s.recv(4096)
    buf = rest[size + 2:]
    return rest[:size]

def count():
    cmd("HGET", "errwatch:count:total", "Punishment")
    v = reply()
    return int(v) if v is not None else 0

fd = os.open(log, os.O_WRONLY | os.O_APPEND)
mean = duration / n
base = count()
lat = []
late = 0
for i in range(n):
    time.sleep(mean * rnd.uniform(0.2, 1.8))
    line = ("ts=%.3f level=error svc=match code=461 name=Punishment "
            "msg=\"player is punished\" seq=%d\n" % (time.time(), i)).encode()
    want = base + i + 1
    t0 = time.perf_counter()
    os.write(fd, line)
    while True:
        c = count()
        if c >= want:
            break
        if time.perf_counter() - t0 > 10:
            raise SystemExit("line %d not in Redis after 10 s (count %d)" % (i, c))
        time.sleep(poll)
    t1 = time.perf_counter()
    lat.append((t1 - t0) * 1000)
os.close(fd)
final = count() - base
lat.sort()

def pct(p):		# nearest rank
    k = min(len(lat) - 1, max(0, math.ceil(p / 100 * len(lat)) - 1))
    return lat[k]

target = flush_ms + 50
p99 = pct(99)
ok = p99 <= target and final == n
print("lines %d, in Redis %d (%s)" % (n, final, "exact" if final == n else "WRONG"))
print("latency ms: min %.1f  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f"
      % (lat[0], pct(50), pct(90), p99, lat[-1], sum(lat) / len(lat)))
print("target: p99 <= flush_interval + 50 ms = %d ms: %s"
      % (target, "PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
EOF
echo "($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(date -u +%Y-%m-%dT%H:%MZ), poll every $poll_ms ms)"
kill -TERM "$FPID"
wait "$FPID" 2>/dev/null || true
FPID=""
redis-cli -s "$SOCK" shutdown nosave >/dev/null 2>&1 || true
exit "$status"
