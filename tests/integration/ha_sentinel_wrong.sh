# SPEC §15: a sentinel that names a replica as the master (a wrong or
# stale answer; here one listed first that monitors the name at the
# replica's address). ROLE catches it: the replica gets no script and no
# write, errwatchd goes on with the next sentinel, and the counts on the
# real master are exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ha_lib.bash"

PA=$(free_port) PB=$(free_port) SL=$(free_port) S1=$(free_port)
start_node a "$PA"
start_node b "$PB" "$PA"
wait_for 200 0.05 synced "$PB" || fail "b did not sync from a"
# The liar: quorum 2 alone and a long down-after, so it never acts on
# what it sees; it only answers.
start_sentinel liar "$SL" "$PB" 2 600000
start_sentinel s1 "$S1" "$PA" 1
named_is "$SL" "$PB" || fail "the liar does not name b"
MASTER_PORT=$PA
write_ha_config "$SL" "$S1"
for i in $(seq 1 200); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
start_daemon
grep -q "master 127.0.0.1:$PB named by sentinel 127.0.0.1:$SL: ROLE says replica, not master: nothing written there, asking the next sentinel" \
    "$T/daemon.log" || fail "no line about the replica named as master"
grep -q -- "-> ready (127.0.0.1:$PA," "$T/daemon.log" ||
	fail "errwatchd is not on the master"
python3 "$EW_SRC/tests/integration/writer.py" "$LOGS/w.log" 2000 \
    --rate 500 &
WPID=$!
EXTRA_PIDS="$EXTRA_PIDS $WPID"
wait "$WPID"
expect_count Punishment 2200
wait_flushes 3
[ "$(count Punishment)" = 2200 ] || fail "Punishment moved to $(count Punishment)"
expect_offsets
# b was asked ROLE and nothing else of ours: no EVALSHA, no SCRIPT LOAD
# (a replica applies its master's writes as plain commands, never these)
redis-cli -p "$PB" INFO commandstats > "$T/b.stats"
grep -q '^cmdstat_role:' "$T/b.stats" || fail "b was never asked ROLE"
[ "$(evalsha_calls "$PB")" = 0 ] || fail "b got EVALSHA: $(grep evalsha "$T/b.stats")"
! grep -q '^cmdstat_script' "$T/b.stats" || fail "b got SCRIPT: $(grep script "$T/b.stats")"
[ "$(evalsha_calls "$PA")" -gt 0 ] || fail "a got no flush"
# the liar, asked first every round, is not retried once s1 proved right
n=$(grep -c "ROLE says replica" "$T/daemon.log" || true)
[ "$n" -eq 1 ] || fail "the replica was logged $n times"
stop_daemon
echo "ha_sentinel_wrong: all passed"
