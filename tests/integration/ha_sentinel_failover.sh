# SPEC §15, §8: errwatchd behind three sentinels, under a steady writer.
# The master is SIGKILLed: the sentinels promote the replica, errwatchd
# follows within a few seconds and the counts end exact (writes the dead
# master acknowledged but never replicated come back by re-reading).
# Then SENTINEL FAILOVER, a clean switch that demotes the master of the
# moment (-READONLY to anyone still writing there): exact again.
# errwatch-web and errwatch-alerts, on the same config, follow too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ha_lib.bash"

PA=$(free_port) PB=$(free_port)
S1=$(free_port) S2=$(free_port) S3=$(free_port)
start_node a "$PA"
start_node b "$PB" "$PA"
wait_for 200 0.05 synced "$PB" || fail "b did not sync from a"
for s in 1 2 3; do
	eval "start_sentinel s$s \$S$s $PA"
done
MASTER_PORT=$PA
WPORT=$(free_port)
write_ha_config "$S1" "$S2" "$S3"
start_daemon
start_web
start_alerts
grep -q "sentinel 127.0.0.1:$S1 names 127.0.0.1:$PA as master" \
    "$T/daemon.log" || fail "no line naming the sentinel and the master"

# --- 1: the master SIGKILLed under a steady writer ---------------------
python3 "$EW_SRC/tests/integration/writer.py" "$LOGS/w1.log" 4000 \
    --rate 400 &
WPID=$!
EXTRA_PIDS="$EXTRA_PIDS $WPID"
wait_for 200 0.05 count_ge Punishment 800 || fail "no counts before the kill"
t0=$(date +%s%3N)
kill_node a
wait_for 300 0.1 named_is "$S1" "$PB" || fail "the sentinels did not promote b"
promoted=$(ms_since "$t0")
wait_for 300 0.1 ready_more "$PB" 0 || fail "errwatchd did not follow to b"
followed=$(ms_since "$t0")
MASTER_PORT=$PB
echo "kill: sentinels promoted b after ${promoted} ms, errwatchd ready on b after ${followed} ms"
wait "$WPID"
expect_total Punishment 4000
wait_flushes 2
[ "$(count Punishment)" = 4000 ] || fail "Punishment moved to $(count Punishment)"
expect_offsets
[ "$(evalsha_calls "$PB")" -gt 0 ] || fail "b never got a flush"
wait_for 100 0.1 web_total_is Punishment 4000 ||
	fail "errwatch-web says $(web_total Punishment), want 4000"
[ "$(ready_in "$T/alerts.log" "$PB")" -ge 2 ] ||
	fail "errwatch-alerts' two links did not follow to b"

# --- 2: SENTINEL FAILOVER back to a (restarted empty, made a replica) --
start_node a "$PA"
wait_for 300 0.1 synced "$PA" || fail "the sentinels did not make a a replica of b"
python3 "$EW_SRC/tests/integration/writer.py" "$LOGS/w2.log" 4000 \
    --rate 400 &
WPID=$!
EXTRA_PIDS="$EXTRA_PIDS $WPID"
wait_for 200 0.05 count_ge Punishment 4800 || fail "no counts before the switch"
n=$(ready_lines "$PA")
t0=$(date +%s%3N)
# -NOGOODSLAVE while the sentinels still see a as down: ask again
wait_for 100 0.2 bash -c "redis-cli -p $S2 SENTINEL FAILOVER $MASTER_NAME | grep -q OK" ||
	fail "SENTINEL FAILOVER was refused"
wait_for 300 0.1 named_is "$S1" "$PA" || fail "the sentinels did not switch to a"
switched=$(ms_since "$t0")
wait_for 300 0.1 ready_more "$PA" "$n" || fail "errwatchd did not follow to a"
followed=$(ms_since "$t0")
MASTER_PORT=$PA
echo "failover: sentinels named a after ${switched} ms, errwatchd ready on a after ${followed} ms"
wait "$WPID"
expect_total Punishment 8000
wait_flushes 2
[ "$(count Punishment)" = 8000 ] || fail "Punishment moved to $(count Punishment)"
expect_offsets
wait_for 100 0.1 is_master "$PA" || fail "a is not master"
# the sentinels demote b once it has claimed the wrong role for a while
wait_for 300 0.1 is_replica "$PB" || fail "b was not demoted"
wait_for 100 0.1 web_total_is Punishment 8000 ||
	fail "errwatch-web says $(web_total Punishment), want 8000"
wait_for 100 0.1 bash -c "[ \$(grep -c -- '-> ready (127.0.0.1:$PA,' '$T/alerts.log') -ge 4 ]" ||
	fail "errwatch-alerts' two links did not follow back to a"
grep -E "READONLY|connection closed|Connection reset|Server closed" "$T/daemon.log" | tail -n 3
stop_daemon
echo "ha_sentinel_failover: all passed"
