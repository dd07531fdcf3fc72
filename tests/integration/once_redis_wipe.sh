# SPEC §8: Redis killed under load and restarted empty (no persistence):
# the WIPED path. Decided behaviour: errwatchd keeps its positions and
# does not recount history; the new instance receives exactly the lines
# the daemon had not seen acknowledged when the old one died (the batch
# in flight is re-sent whole, never merged, so it lands in the new
# instance even if the old one applied it before dying). The first flush
# to the new instance carries, as each file's expected offset, the last
# acknowledged one: MONITOR shows it, and the count must equal the lines
# after it, exactly. Lines written after the kill are all among them.
. "$(dirname "$0")/lib.sh"

TOTAL=6000
write_config
: > "$LOGS/a.log"
start_redis
start_daemon
python3 "$EW_SRC/tests/integration/writer.py" "$LOGS/a.log" $TOTAL \
    --rate 2000 & WPID=$!
wait_for 100 0.05 bash -c "[ \$(redis-cli -s '$SOCK' HGET errwatch:count:total Punishment || echo 0) -ge 1500 ] 2>/dev/null" ||
	fail "no counts under load"
kill_redis
at_kill=$(wc -l < "$LOGS/a.log")
wait "$WPID" || fail "writer failed"
[ "$(wc -l < "$LOGS/a.log")" = $TOTAL ] || fail "writer wrote $(wc -l < "$LOGS/a.log")"

# The new, empty instance comes up on a side socket with MONITOR attached,
# then takes the daemon's socket path, so the first flush is seen.
rm -f "$SOCK"
redis-server --port 0 --unixsocket "$T/new.sock" --unixsocketperm 700 \
    --save '' --appendonly no --dir "$T" --daemonize yes \
    --pidfile "$T/redis.pid" --logfile "$T/redis.log"
wait_for 100 0.05 redis-cli -s "$T/new.sock" ping || fail "new redis"
redis-cli -s "$T/new.sock" MONITOR > "$T/monitor.txt" & MPID=$!
wait_for 50 0.05 bash -c "redis-cli -s '$T/new.sock' CLIENT LIST | grep -q cmd=monitor"
mv "$T/new.sock" "$SOCK"
wait_for 100 0.1 grep -q EVALSHA "$T/monitor.txt" || fail "no flush seen"
wait_for 100 0.1 offsets_exact || fail "offsets"
kill "$MPID"; wait "$MPID" 2>/dev/null || true
acked=$(python3 - "$T/monitor.txt" <<'PY'
import shlex, sys
for ln in open(sys.argv[1]):
    if '"EVALSHA"' not in ln:
        continue
    a = shlex.split(ln.split("]", 1)[1])
    # EVALSHA sha 0 prefix host now nfiles (field expected next)...
    assert int(a[6]) == 1, a[6]
    exp = a[8]
    print(int(exp.split(" ")[0]) if exp else 0)
    break
PY
)
want=$(tail -c +$((acked + 1)) "$LOGS/a.log" | wc -l)
echo "killed at line $at_kill; last acknowledged offset $acked; new instance gets $want lines"
[ "$want" -ge $((TOTAL - at_kill)) ] || fail "acked offset $acked is past the kill"
expect_count Punishment "$want"
grep -q "offsets:testhost was gone" "$T/daemon.log" || fail "wipe not logged"
# The codes hash is written again after a wipe (SPEC §7).
wait_for 50 0.1 bash -c "[ \$(redis-cli -s '$SOCK' HLEN errwatch:codes) -gt 30 ]" ||
	fail "codes not rewritten"
# And from here on, plain OK flushes: exact.
for i in $(seq 1 7); do line 461 Punishment "z$i"; done >> "$LOGS/a.log"
expect_count Punishment $((want + 7))
expect_offsets
stop_daemon
echo "once_redis_wipe: all passed"
