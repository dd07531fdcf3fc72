# SPEC §15, §7: every sentinel down when errwatchd starts. It starts
# anyway, logs the outage once, writes nowhere (it never falls back to
# url's host), and once the sentinels come up it finds the master and
# writes every count exactly once, under a steady writer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ha_lib.bash"

PA=$(free_port) PB=$(free_port)
S1=$(free_port) S2=$(free_port) S3=$(free_port)
start_node a "$PA"
start_node b "$PB" "$PA"
MASTER_PORT=$PA
WPORT=$(free_port)
write_ha_config "$S1" "$S2" "$S3"

# --check-config of all three programs takes the keys, and refuses a
# bare IPv6 entry at its line and column with exit 78
for bin in "$EW_BIN" "$EW_ALERTS_BIN" "$EW_WEB_BIN"; do
	"$bin" --check-config -c "$CFG" > "$T/check.out" 2>&1 ||
		fail "$(basename "$bin") --check-config: $(cat "$T/check.out")"
	grep -q "redis.sentinels .*127.0.0.1:$S3" "$T/check.out" ||
		fail "$(basename "$bin") --check-config does not list the sentinels"
done
sed "s/\"127.0.0.1:$S2\"/\"::1:$S2\"/" "$CFG" > "$T/bad.yaml"
st=0
"$EW_BIN" --check-config -c "$T/bad.yaml" > "$T/check.out" 2>&1 || st=$?
[ $st -eq 78 ] || fail "a bad sentinel entry exits $st, want 78"
grep -q "bad.yaml:5:[0-9]*: redis.sentinels\[1\]: expected host:port or \[v6\]:port" \
    "$T/check.out" || fail "bad entry: $(cat "$T/check.out")"
for i in $(seq 1 300); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
start_daemon_bg
wait_for 200 0.05 grep -q "redis: .* -> down" "$T/daemon.log" ||
	fail "no line about the sentinels being down"
python3 "$EW_SRC/tests/integration/writer.py" "$LOGS/w.log" 2000 \
    --rate 400 &
WPID=$!
EXTRA_PIDS="$EXTRA_PIDS $WPID"
wait_for 200 0.05 grep -q "sentinel 127.0.0.1:$S3: .*refused" "$T/daemon.log" ||
	fail "the third sentinel was not asked in the first round"
# The sentinels stay down while the writer writes its first 400 lines
# (a second at least: several rounds of backoff).
wait_for 200 0.05 bash -c "[ \$(wc -l < '$LOGS/w.log') -ge 400 ]" ||
	fail "the writer did not write"
kill -0 "$DPID" || fail "errwatchd died while the sentinels were down"
[ "$(rc EXISTS errwatch:count:total)" = 0 ] || fail "counts written with no sentinel"
[ "$(evalsha_calls "$PA")" = 0 ] || fail "the master got a flush with no sentinel"

for s in 1 2 3; do
	eval "start_sentinel s$s \$S$s $PA"
done
wait_for 200 0.05 grep -q -- "-> ready (127.0.0.1:$PA," "$T/daemon.log" ||
	fail "errwatchd did not find the master"
wait "$WPID"
expect_total Punishment 2300
wait_flushes 2
[ "$(count Punishment)" = 2300 ] || fail "Punishment moved to $(count Punishment)"
expect_offsets
[ "$(evalsha_calls "$PB")" = 0 ] || fail "the replica got a flush"
# SPEC §7: one line when the outage starts, one when it ends
n=$(grep -c -- "-> down" "$T/daemon.log" || true)
[ "$n" -eq 1 ] || fail "the outage was logged $n times, want once"
stop_daemon
echo "ha_sentinel_late: all passed"
